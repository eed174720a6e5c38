/* SPDX-License-Identifier: MIT */
/* `wsp catalog --json` parsed and checked against WSAEnumProtocolsW; the text
 * form checked for the netsh-style rows and the spelled-out flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>

#include "tool/lib/json.h"
#include "tool/lib/spawn.h"

struct catalog {
    WSAPROTOCOL_INFOW *infos;
    int count;
};

static int setup(void **state)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return -1;
    struct catalog *c = calloc(1, sizeof *c);
    DWORD size = 0;
    if (WSAEnumProtocolsW(NULL, NULL, &size) != SOCKET_ERROR || WSAGetLastError() != WSAENOBUFS)
        return -1;
    c->infos = malloc(size);
    c->count = WSAEnumProtocolsW(NULL, c->infos, &size);
    if (c->count <= 0)
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct catalog *c = *state;
    free(c->infos);
    free(c);
    WSACleanup();
    return 0;
}

static double num(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    if (!v || v->type != JSON_NUMBER)
        fail_msg("key '%s' missing or not a number", key);
    return v->number;
}

static const char *str(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    if (!v || v->type != JSON_STRING)
        fail_msg("key '%s' missing or not a string", key);
    return v->string;
}

static const struct {
    const char *key;
    DWORD flag;
} flag_keys[] = {
    {"connectionless", XP1_CONNECTIONLESS},     {"guaranteed_delivery", XP1_GUARANTEED_DELIVERY},
    {"guaranteed_order", XP1_GUARANTEED_ORDER}, {"message_oriented", XP1_MESSAGE_ORIENTED},
    {"graceful_close", XP1_GRACEFUL_CLOSE},     {"expedited_data", XP1_EXPEDITED_DATA},
    {"connect_data", XP1_CONNECT_DATA},         {"disconnect_data", XP1_DISCONNECT_DATA},
    {"ifs_handles", XP1_IFS_HANDLES},           {"partial_message", XP1_PARTIAL_MESSAGE},
};

static void tool_catalog_json_matches_enum_protocols(void **state)
{
    struct catalog *c = *state;
    const char *args[] = {"catalog", "--json", NULL};
    struct proc p;
    assert_int_equal(proc_run(&p, args), 0);
    assert_string_equal(p.err_buf.data, "");
    struct json *root = json_parse(p.out_buf.data);
    if (!root)
        fail_msg("catalog --json is not JSON:\n%s", p.out_buf.data);
    assert_int_equal(root->type, JSON_ARRAY);
    assert_int_equal((int)root->count, c->count);
    for (int i = 0; i < c->count; i++) {
        const WSAPROTOCOL_INFOW *w = &c->infos[i];
        const struct json *e = root->items[i];
        assert_int_equal(e->type, JSON_OBJECT);
        assert_int_equal((DWORD)num(e, "entry_id"), w->dwCatalogEntryId);
        assert_int_equal((int)num(e, "address_family"), w->iAddressFamily);
        assert_int_equal((int)num(e, "socket_type"), w->iSocketType);
        assert_int_equal((int)num(e, "protocol"), w->iProtocol);
        assert_int_equal((int)num(e, "version"), w->iVersion);
        assert_int_equal((int)num(e, "max_sockaddr"), w->iMaxSockAddr);
        assert_int_equal((int)num(e, "min_sockaddr"), w->iMinSockAddr);
        assert_int_equal((DWORD)num(e, "service_flags1"), w->dwServiceFlags1);
        assert_int_equal((DWORD)num(e, "provider_flags"), w->dwProviderFlags);
        assert_int_equal((DWORD)num(e, "message_size"), w->dwMessageSize);
        char guid[40];
        const GUID *g = &w->ProviderId;
        snprintf(guid, sizeof guid, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
                 (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
                 g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
        assert_string_equal(str(e, "provider_id"), guid);
        /* The description is szProtocol (ASCII in our catalog). */
        char desc[WSAPROTOCOL_LEN + 1];
        size_t k = 0;
        for (; k < WSAPROTOCOL_LEN && w->szProtocol[k]; k++)
            desc[k] = (char)w->szProtocol[k];
        desc[k] = '\0';
        assert_string_equal(str(e, "description"), desc);
        const struct json *chain = json_get(e, "protocol_chain");
        assert_non_null(chain);
        assert_int_equal(chain->type, JSON_ARRAY);
        assert_int_equal((int)chain->count, w->ProtocolChain.ChainLen);
        for (size_t j = 0; j < chain->count; j++)
            assert_int_equal((DWORD)chain->items[j]->number, w->ProtocolChain.ChainEntries[j]);
        const struct json *flags = json_get(e, "service_flags");
        assert_non_null(flags);
        for (size_t f = 0; f < sizeof flag_keys / sizeof flag_keys[0]; f++) {
            const struct json *b = json_get(flags, flag_keys[f].key);
            assert_non_null(b);
            assert_int_equal(b->type, JSON_BOOL);
            assert_int_equal(b->boolean, (w->dwServiceFlags1 & flag_keys[f].flag) != 0);
        }
        /* The module path names a file that exists. */
        const char *path = str(e, "provider_path");
        struct stat st;
        if (stat(path, &st) != 0)
            fail_msg("provider_path '%s' of entry %u does not exist", path,
                     (unsigned)w->dwCatalogEntryId);
    }
    json_free(root);
    proc_free(&p);
}

/* The fixed entry ids of the two base providers are all there. */
static void tool_catalog_json_has_tcp_and_itot_entries(void **state)
{
    (void)state;
    const char *args[] = {"catalog", "--json", NULL};
    struct proc p;
    assert_int_equal(proc_run(&p, args), 0);
    struct json *root = json_parse(p.out_buf.data);
    assert_non_null(root);
    static const struct {
        unsigned id;
        const char *provider;
        int disconnect_data;
    } want[] = {{1001, "tcp", 0}, {1003, "tcp", 0}, {1005, "itot", 1}, {1006, "itot", 1}};
    for (size_t i = 0; i < 4; i++) {
        const struct json *found = NULL;
        for (size_t j = 0; j < root->count; j++)
            if ((unsigned)num(root->items[j], "entry_id") == want[i].id)
                found = root->items[j];
        if (!found)
            fail_msg("entry %u missing", want[i].id);
        assert_string_equal(str(found, "provider_name"), want[i].provider);
        const struct json *b = json_get(json_get(found, "service_flags"), "disconnect_data");
        assert_non_null(b);
        assert_int_equal(b->boolean, want[i].disconnect_data);
    }
    json_free(root);
    proc_free(&p);
}

static void tool_catalog_text_rows(void **state)
{
    struct catalog *c = *state;
    const char *args[] = {"catalog", NULL};
    struct proc p;
    assert_int_equal(proc_run(&p, args), 0);
    int entries = 0;
    for (const char *s = p.out_buf.data; (s = strstr(s, "Catalog Entry ID:")); s++)
        entries++;
    assert_int_equal(entries, c->count);
    static const char *const rows[] = {"Winsock Catalog Provider Entry",
                                       "Provider ID:",
                                       "Provider Path:",
                                       "Address Family:",
                                       "Socket Type:",
                                       "Protocol Chain:",
                                       "    disconnect data:",
                                       "    graceful close:",
                                       "1006 (ITOT)"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!strstr(p.out_buf.data, rows[i]))
            fail_msg("row '%s' missing", rows[i]);
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tool_catalog_json_matches_enum_protocols),
        cmocka_unit_test(tool_catalog_json_has_tcp_and_itot_entries),
        cmocka_unit_test(tool_catalog_text_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
