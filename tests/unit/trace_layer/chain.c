/* SPDX-License-Identifier: MIT */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char trace_dir[64];
static char trace_file[128];
static GUID layer_guid = {
    0x6e1c2b3a, 0x51d2, 0x4f0e, {0x9b, 0x11, 0x7a, 0x22, 0x0c, 0x4d, 0x01, 0x01}};
static GUID chain_guid = {
    0x6e1c2b3a, 0x51d2, 0x4f0e, {0x9b, 0x11, 0x7a, 0x22, 0x0c, 0x4d, 0x01, 0x02}};

static void to_wide(const char *s, WCHAR *w, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < cap; i++)
        w[i] = (WCHAR)(unsigned char)s[i];
    w[i] = 0;
}

int chains_find_entry(DWORD id, WSAPROTOCOL_INFOW *out)
{
    DWORD len = 0;
    int err = 0;
    if (WSCEnumProtocols(NULL, NULL, &len, &err) != SOCKET_ERROR)
        return -1;
    WSAPROTOCOL_INFOW *all = malloc(len);
    int n = all ? WSCEnumProtocols(NULL, all, &len, &err) : SOCKET_ERROR;
    int rc = -1;
    for (int i = 0; i < n; i++)
        if (all[i].dwCatalogEntryId == id) {
            *out = all[i];
            rc = 0;
        }
    free(all);
    return rc;
}

int chains_install(struct chains *c)
{
    /* never a user's real catalog: ctest gives each test its own file */
    const char *cat = getenv("WSP_CATALOG");
    if (cat == NULL || cat[0] == '\0') {
        fprintf(stderr, "WSP_CATALOG is not set: run this test through ctest\n");
        return -1;
    }
    snprintf(trace_dir, sizeof trace_dir, "/tmp/wsp-trace-test.XXXXXX");
    if (mkdtemp(trace_dir) == NULL)
        return -1;
    snprintf(trace_file, sizeof trace_file, "%s/trace.log", trace_dir);
    setenv("WSP_TRACE", trace_file, 1);

    WSAPROTOCOL_INFOW out[2];
    if (chains_install_over(1001, 1005, &c->layer, out) != 0)
        return -1;
    c->over_tcp = out[0].dwCatalogEntryId;
    c->over_itot = out[1].dwCatalogEntryId;
    c->tcp_info = out[0];
    c->itot_info = out[1];
    return 0;
}

int chains_install_over(DWORD base0, DWORD base1, DWORD *layer_id, WSAPROTOCOL_INFOW out[2])
{
    WCHAR path[512];
    to_wide(TRACE_MODULE, path, sizeof path / sizeof path[0]);
    WSAPROTOCOL_INFOW base[2], layer, chain[2];
    int err = 0;
    if (chains_find_entry(base0, &base[0]) != 0 || chains_find_entry(base1, &base[1]) != 0)
        return -1;
    layer = base[0];
    layer.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
    if (WSCInstallProvider(&layer_guid, path, &layer, 1, &err) != 0)
        return -1;
    *layer_id = layer.dwCatalogEntryId;
    for (int i = 0; i < 2; i++) {
        chain[i] = base[i];
        chain[i].ProtocolChain.ChainLen = 2;
        chain[i].ProtocolChain.ChainEntries[0] = layer.dwCatalogEntryId;
        chain[i].ProtocolChain.ChainEntries[1] = base[i].dwCatalogEntryId;
    }
    if (WSCInstallProvider(&chain_guid, path, chain, 2, &err) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (chains_find_entry(chain[i].dwCatalogEntryId, &out[i]) != 0)
            return -1;
    return 0;
}

void chains_remove(struct chains *c)
{
    (void)c;
    int err;
    WSCDeinstallProvider(&chain_guid, &err); /* chains first: they name the layer */
    WSCDeinstallProvider(&layer_guid, &err);
    unlink(trace_file);
    rmdir(trace_dir);
}

const char *chains_trace_path(void)
{
    return trace_file;
}

char *chains_trace_read(void)
{
    FILE *f = fopen(trace_file, "r");
    char *text = calloc(1, 1 << 20);
    if (f != NULL && text != NULL) {
        size_t n = fread(text, 1, (1 << 20) - 1, f);
        text[n] = '\0';
    }
    if (f != NULL)
        fclose(f);
    return text;
}

void chains_trace_clear(void)
{
    FILE *f = fopen(trace_file, "w");
    if (f != NULL)
        fclose(f);
}

int chains_count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *l = text; l != NULL && *l != '\0';) {
        if (strncmp(l, prefix, len) == 0)
            n++;
        l = strchr(l, '\n');
        l = l ? l + 1 : NULL;
    }
    return n;
}

struct chains chains;

int chains_group_setup(void **state)
{
    (void)state;
    return chains_install(&chains);
}

int chains_group_teardown(void **state)
{
    (void)state;
    chains_remove(&chains);
    return 0;
}

int chains_case_setup(void **state)
{
    (void)state;
    WSADATA wd;
    chains_trace_clear();
    return WSAStartup(MAKEWORD(2, 2), &wd);
}

int chains_case_teardown(void **state)
{
    (void)state;
    WSACleanup();
    return 0;
}
