/* SPDX-License-Identifier: MIT */
/* Catalog entries <-> JSON (see catalog_record.h). Every key is a row of one
 * table: its kind says how it is read and written, its flag whether a catalog
 * file must have it. Keys that only explain others (names of numbers, the
 * spelled-out service flags) are printed for people and checked for type on
 * input, never trusted: the numbers are what counts. */
#include "catalog_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/itot.h>

#include "json_read.h"
#include "wstr.h"

enum crec_kind {
    CK_I32,   /* int field at .off */
    CK_U32,   /* DWORD field at .off */
    CK_GUID,  /* ProviderId */
    CK_PATH,  /* the module (string or null) */
    CK_DESC,  /* szProtocol, UTF-8 */
    CK_CHAIN, /* ProtocolChain as an array of ids */
    CK_TYPE,  /* entry_type: must agree with the chain */
    CK_NAME,  /* a string that only names a number: ignored */
    CK_FLAGS, /* service_flags: an object of booleans, ignored */
    CK_PNAME, /* provider_name: derived from the path, ignored */
};

/* what the kind of value must be on input */
static const enum jsn_type crec_kind_type[] = {
    [CK_I32] = JSN_NUMBER,   [CK_U32] = JSN_NUMBER,  [CK_GUID] = JSN_STRING,
    [CK_PATH] = JSN_STRING,  [CK_DESC] = JSN_STRING, [CK_CHAIN] = JSN_ARRAY,
    [CK_TYPE] = JSN_STRING,  [CK_NAME] = JSN_STRING, [CK_FLAGS] = JSN_OBJECT,
    [CK_PNAME] = JSN_STRING,
};

#define CF_FILE 1 /* required in a catalog file */
#define CF_INFO 2 /* required with --info */

#define OFF(field) offsetof(WSAPROTOCOL_INFOW, field)
static const struct crec_field {
    const char *key;
    enum crec_kind kind;
    size_t off;
    int required;
} crec_fields[] = {
    {"entry_id", CK_U32, OFF(dwCatalogEntryId), CF_FILE},
    {"entry_type", CK_TYPE, 0, 0},
    {"description", CK_DESC, 0, 0},
    {"provider_name", CK_PNAME, 0, 0},
    {"provider_id", CK_GUID, 0, CF_FILE},
    {"provider_path", CK_PATH, 0, CF_FILE},
    {"version", CK_I32, OFF(iVersion), 0},
    {"address_family", CK_I32, OFF(iAddressFamily), CF_FILE | CF_INFO},
    {"address_family_name", CK_NAME, 0, 0},
    {"max_sockaddr", CK_I32, OFF(iMaxSockAddr), 0},
    {"min_sockaddr", CK_I32, OFF(iMinSockAddr), 0},
    {"socket_type", CK_I32, OFF(iSocketType), CF_FILE | CF_INFO},
    {"socket_type_name", CK_NAME, 0, 0},
    {"protocol", CK_I32, OFF(iProtocol), CF_FILE | CF_INFO},
    {"protocol_name", CK_NAME, 0, 0},
    {"protocol_max_offset", CK_I32, OFF(iProtocolMaxOffset), 0},
    {"network_byte_order", CK_I32, OFF(iNetworkByteOrder), 0},
    {"security_scheme", CK_I32, OFF(iSecurityScheme), 0},
    {"message_size", CK_U32, OFF(dwMessageSize), 0},
    {"protocol_chain", CK_CHAIN, 0, CF_FILE},
    {"provider_flags", CK_U32, OFF(dwProviderFlags), 0},
    {"service_flags1", CK_U32, OFF(dwServiceFlags1), 0},
    {"service_flags2", CK_U32, OFF(dwServiceFlags2), 0},
    {"service_flags3", CK_U32, OFF(dwServiceFlags3), 0},
    {"service_flags4", CK_U32, OFF(dwServiceFlags4), 0},
    {"provider_reserved", CK_U32, OFF(dwProviderReserved), 0},
    {"service_flags", CK_FLAGS, 0, 0},
};
#undef OFF
#define CREC_NFIELDS (sizeof crec_fields / sizeof crec_fields[0])

/* The XP1 service flags as JSON keys (the text names live in the wsp command). */
static const struct {
    DWORD flag;
    const char *key;
} crec_xp1[] = {
    {XP1_CONNECTIONLESS, "connectionless"},
    {XP1_GUARANTEED_DELIVERY, "guaranteed_delivery"},
    {XP1_GUARANTEED_ORDER, "guaranteed_order"},
    {XP1_MESSAGE_ORIENTED, "message_oriented"},
    {XP1_PSEUDO_STREAM, "pseudo_stream"},
    {XP1_GRACEFUL_CLOSE, "graceful_close"},
    {XP1_EXPEDITED_DATA, "expedited_data"},
    {XP1_CONNECT_DATA, "connect_data"},
    {XP1_DISCONNECT_DATA, "disconnect_data"},
    {XP1_SUPPORT_BROADCAST, "support_broadcast"},
    {XP1_SUPPORT_MULTIPOINT, "support_multipoint"},
    {XP1_MULTIPOINT_CONTROL_PLANE, "multipoint_control_plane"},
    {XP1_MULTIPOINT_DATA_PLANE, "multipoint_data_plane"},
    {XP1_QOS_SUPPORTED, "qos_supported"},
    {XP1_INTERRUPT, "interrupt"},
    {XP1_UNI_SEND, "uni_send"},
    {XP1_UNI_RECV, "uni_recv"},
    {XP1_IFS_HANDLES, "ifs_handles"},
    {XP1_PARTIAL_MESSAGE, "partial_message"},
    {XP1_SAN_SUPPORT_SDP, "san_support_sdp"},
};

struct crec_name {
    int value;
    const char *name;
};
static const struct crec_name crec_af_names[] = {{AF_INET, "AF_INET"}, {AF_INET6, "AF_INET6"}};
static const struct crec_name crec_type_names[] = {{SOCK_STREAM, "SOCK_STREAM"},
                                                   {SOCK_DGRAM, "SOCK_DGRAM"},
                                                   {SOCK_RAW, "SOCK_RAW"},
                                                   {SOCK_SEQPACKET, "SOCK_SEQPACKET"}};
static const struct crec_name crec_proto_names[] = {
    {IPPROTO_TCP, "TCP"}, {IPPROTO_UDP, "UDP"}, {WSP_PROTO_ITOT, "ITOT"}};

#define CREC_NAME_OF(t, v) crec_name_of((t), sizeof(t) / sizeof((t)[0]), (v))
static const char *crec_name_of(const struct crec_name *t, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == v)
            return t[i].name;
    return "unknown";
}

static const char *const crec_types[] = {"Layered Service Provider", "Base Service Provider",
                                         "Layered Chain Entry"};

const char *crec_entry_type(int chain_len)
{
    return crec_types[chain_len <= 0 ? 0 : chain_len == 1 ? 1 : 2];
}

void crec_guid_format(const GUID *g, char out[39])
{
    snprintf(out, 39, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)g->Data1,
             g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
             g->Data4[5], g->Data4[6], g->Data4[7]);
}

static int crec_hex(const char *s, size_t n, unsigned long *out)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int h = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned long)h;
    }
    *out = v;
    return 0;
}

int crec_guid_parse(const char *s, GUID *g)
{
    /* {8-4-4-4-12}: 38 characters, dashes at fixed places */
    static const unsigned char groups[][2] = {{1, 8},  {10, 4}, {15, 4}, {20, 2}, {22, 2}, {25, 2},
                                              {27, 2}, {29, 2}, {31, 2}, {33, 2}, {35, 2}};
    if (strlen(s) != 38 || s[0] != '{' || s[9] != '-' || s[14] != '-' || s[19] != '-' ||
        s[24] != '-' || s[37] != '}')
        return -1;
    unsigned long v[11];
    for (size_t i = 0; i < 11; i++)
        if (crec_hex(s + groups[i][0], groups[i][1], &v[i]) != 0)
            return -1;
    g->Data1 = (uint32_t)v[0];
    g->Data2 = (uint16_t)v[1];
    g->Data3 = (uint16_t)v[2];
    for (size_t i = 0; i < 8; i++)
        g->Data4[i] = (unsigned char)v[3 + i];
    return 0;
}

int crec_fail(struct crec_error *err, int line, const char *fmt, ...)
{
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int crec_push(struct crec_list *l, const WSAPROTOCOL_INFOW *info, const char *module)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct crec *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            return -1;
        l->v = nv;
        l->cap = ncap;
    }
    struct crec *r = &l->v[l->n];
    memset(r, 0, sizeof *r);
    r->info = *info;
    if (module != NULL && (r->module = strdup(module)) == NULL)
        return -1;
    l->n++;
    return 0;
}

void crec_clear(struct crec_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].module);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int crec_number(const struct jsn_node *v, const struct crec_field *f, WSAPROTOCOL_INFOW *pi,
                       struct crec_error *err)
{
    long long lo = f->kind == CK_U32 ? 0 : INT32_MIN;
    long long hi = f->kind == CK_U32 ? (long long)UINT32_MAX : INT32_MAX;
    if (!v->is_int || v->ival < lo || v->ival > hi)
        return crec_fail(err, v->line, "\"%s\": an integer from %lld to %lld expected", f->key, lo,
                         hi);
    char *at = (char *)pi + f->off;
    if (f->kind == CK_U32) {
        DWORD d = (DWORD)v->ival;
        memcpy(at, &d, sizeof d);
    } else {
        int i = (int)v->ival;
        memcpy(at, &i, sizeof i);
    }
    return 0;
}

static int crec_chain(const struct jsn_doc *d, const struct jsn_node *v, WSAPROTOCOL_INFOW *pi,
                      struct crec_error *err)
{
    if (v->count > MAX_PROTOCOL_CHAIN)
        return crec_fail(err, v->line, "\"protocol_chain\": more than %d entries",
                         MAX_PROTOCOL_CHAIN);
    int n = 0;
    for (const struct jsn_node *c = jsn_first(d, v); c; c = jsn_next(d, c), n++) {
        if (c->type != JSN_NUMBER || !c->is_int || c->ival < 0 || c->ival > (long long)UINT32_MAX)
            return crec_fail(err, c->line, "\"protocol_chain\": catalog entry ids expected");
        pi->ProtocolChain.ChainEntries[n] = (DWORD)c->ival;
    }
    pi->ProtocolChain.ChainLen = n;
    return 0;
}

static int crec_flags_object(const struct jsn_doc *d, const struct jsn_node *v,
                             struct crec_error *err)
{
    for (const struct jsn_node *k = jsn_first(d, v); k; k = jsn_next(d, jsn_next(d, k)))
        if (jsn_next(d, k)->type != JSN_BOOL)
            return crec_fail(err, k->line, "\"service_flags\": \"%.40s\" must be true or false",
                             jsn_text(d, k));
    return 0;
}

/* One member of an entry object. *module gets the path (or stays NULL). */
static int crec_member(const struct jsn_doc *d, const struct crec_field *f,
                       const struct jsn_node *v, WSAPROTOCOL_INFOW *pi, const char **module,
                       const char **type, struct crec_error *err)
{
    if (f->kind == CK_PATH && v->type == JSN_NULL)
        return 0; /* an entry whose module was unknown when printed */
    if (v->type != crec_kind_type[f->kind])
        return crec_fail(err, v->line, "\"%s\": wrong type of value", f->key);
    const char *s = v->type == JSN_STRING ? jsn_text(d, v) : NULL;
    switch (f->kind) {
    case CK_I32:
    case CK_U32:
        return crec_number(v, f, pi, err);
    case CK_GUID:
        if (s == NULL || crec_guid_parse(s, &pi->ProviderId) != 0)
            return crec_fail(err, v->line, "\"provider_id\": a GUID {8-4-4-4-12} expected");
        return 0;
    case CK_PATH:
        if (s[0] == '\0' || strlen(s) >= CREC_MAX_PATH)
            return crec_fail(err, v->line, "\"provider_path\": empty or too long");
        *module = s;
        return 0;
    case CK_DESC:
        if (wstr_from_utf8(pi->szProtocol, WSAPROTOCOL_LEN + 1, s) < 0)
            return crec_fail(err, v->line, "\"description\": longer than %d UTF-16 units",
                             WSAPROTOCOL_LEN);
        return 0;
    case CK_CHAIN:
        return crec_chain(d, v, pi, err);
    case CK_TYPE:
        *type = s;
        return 0;
    case CK_FLAGS:
        return crec_flags_object(d, v, err);
    case CK_NAME:
    case CK_PNAME:
        return 0;
    }
    return 0;
}

static void crec_defaults(WSAPROTOCOL_INFOW *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->iVersion = 2;
    pi->iNetworkByteOrder = BIGENDIAN;
    pi->iSecurityScheme = SECURITY_PROTOCOL_NONE;
    pi->ProtocolChain.ChainLen = BASE_PROTOCOL;
}

static int crec_entry(const struct jsn_doc *d, const struct jsn_node *obj, enum crec_mode mode,
                      struct crec_list *out, struct crec_error *err)
{
    if (obj->type != JSN_OBJECT)
        return crec_fail(err, obj->line, "an entry must be a JSON object");
    WSAPROTOCOL_INFOW pi;
    crec_defaults(&pi);
    const char *module = NULL, *type = NULL;
    unsigned char seen[CREC_NFIELDS] = {0};
    for (const struct jsn_node *k = jsn_first(d, obj); k; k = jsn_next(d, jsn_next(d, k))) {
        size_t i = 0;
        while (i < CREC_NFIELDS && strcmp(crec_fields[i].key, jsn_text(d, k)) != 0)
            i++;
        if (i == CREC_NFIELDS)
            return crec_fail(err, k->line, "unknown key \"%.60s\"", jsn_text(d, k));
        seen[i] = 1;
        if (crec_member(d, &crec_fields[i], jsn_next(d, k), &pi, &module, &type, err) != 0)
            return -1;
    }
    int need = mode == CREC_CATALOG ? CF_FILE : CF_INFO;
    for (size_t i = 0; i < CREC_NFIELDS; i++)
        if ((crec_fields[i].required & need) && !seen[i])
            return crec_fail(err, obj->line, "entry without \"%s\"", crec_fields[i].key);
    if (type != NULL && strcmp(type, crec_entry_type(pi.ProtocolChain.ChainLen)) != 0)
        return crec_fail(err, obj->line, "\"entry_type\" \"%.40s\" does not match a chain of %d",
                         type, pi.ProtocolChain.ChainLen);
    if (crec_push(out, &pi, module) != 0)
        return crec_fail(err, obj->line, "out of memory");
    out->v[out->n - 1].line = obj->line;
    return 0;
}

int crec_parse(const char *text, size_t len, enum crec_mode mode, struct crec_list *out,
               struct crec_error *err)
{
    err->line = 0;
    err->msg[0] = '\0';
    if (len > CREC_MAX_FILE)
        return crec_fail(err, 0, "larger than %d octets", CREC_MAX_FILE);
    struct jsn_doc d;
    struct jsn_error je;
    if (jsn_parse(&d, text, len, &je) != 0)
        return crec_fail(err, je.line, "%s", je.msg);
    const struct jsn_node *root = jsn_root(&d);
    int rc = 0;
    size_t before = out->n;
    if (root->type != JSN_ARRAY)
        rc = crec_fail(err, root->line, "the catalog must be a JSON array of entries");
    else if (root->count > CREC_MAX_ENTRIES)
        rc = crec_fail(err, root->line, "more than %d entries", CREC_MAX_ENTRIES);
    for (const struct jsn_node *e = rc ? NULL : jsn_first(&d, root); e && rc == 0;
         e = jsn_next(&d, e))
        rc = crec_entry(&d, e, mode, out, err);
    jsn_free(&d);
    if (rc != 0) {
        while (out->n > before)
            free(out->v[--out->n].module);
    }
    return rc;
}

/* ---- writing --------------------------------------------------------------- */

static void crec_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

/* The module file name without "wsp_" and ".so": what netsh calls the provider name. */
static void crec_provider_name(const char *module, char *out, size_t cap)
{
    if (module == NULL) {
        snprintf(out, cap, "unknown");
        return;
    }
    const char *base = strrchr(module, '/');
    base = base ? base + 1 : module;
    if (strncmp(base, "wsp_", 4) == 0)
        base += 4;
    snprintf(out, cap, "%s", base);
    char *dot = strstr(out, ".so");
    if (dot)
        *dot = '\0';
}

static void crec_write_one(FILE *f, const struct crec *r, int first)
{
    const WSAPROTOCOL_INFOW *p = &r->info;
    char guid[39], pname[256], desc[WSAPROTOCOL_LEN * 3 + 1];
    WCHAR name[WSAPROTOCOL_LEN + 1];
    memcpy(name, p->szProtocol, sizeof name);
    name[WSAPROTOCOL_LEN] = 0;
    if (wstr_to_utf8(desc, sizeof desc, name) < 0)
        desc[0] = '\0';
    crec_guid_format(&p->ProviderId, guid);
    crec_provider_name(r->module, pname, sizeof pname);

    fprintf(f, "%s\n  {\"entry_id\": %u, \"entry_type\": ", first ? "" : ",",
            (unsigned)p->dwCatalogEntryId);
    crec_put_string(f, crec_entry_type(p->ProtocolChain.ChainLen));
    fprintf(f, ", \"description\": ");
    crec_put_string(f, desc);
    fprintf(f, ", \"provider_name\": ");
    crec_put_string(f, pname);
    fprintf(f, ", \"provider_id\": \"%s\", \"provider_path\": ", guid);
    if (r->module)
        crec_put_string(f, r->module);
    else
        fprintf(f, "null");
    fprintf(f,
            ",\n   \"version\": %d, \"address_family\": %d, \"address_family_name\": \"%s\","
            " \"max_sockaddr\": %d, \"min_sockaddr\": %d,\n",
            p->iVersion, p->iAddressFamily, CREC_NAME_OF(crec_af_names, p->iAddressFamily),
            p->iMaxSockAddr, p->iMinSockAddr);
    fprintf(f,
            "   \"socket_type\": %d, \"socket_type_name\": \"%s\", \"protocol\": %d,"
            " \"protocol_name\": \"%s\", \"protocol_max_offset\": %d,\n",
            p->iSocketType, CREC_NAME_OF(crec_type_names, p->iSocketType), p->iProtocol,
            CREC_NAME_OF(crec_proto_names, p->iProtocol), p->iProtocolMaxOffset);
    fprintf(f,
            "   \"network_byte_order\": %d, \"security_scheme\": %d, \"message_size\": %u,"
            " \"provider_reserved\": %u,\n   \"protocol_chain\": [",
            p->iNetworkByteOrder, p->iSecurityScheme, (unsigned)p->dwMessageSize,
            (unsigned)p->dwProviderReserved);
    for (int i = 0; i < p->ProtocolChain.ChainLen && i < MAX_PROTOCOL_CHAIN; i++)
        fprintf(f, "%s%u", i ? ", " : "", (unsigned)p->ProtocolChain.ChainEntries[i]);
    fprintf(f,
            "], \"provider_flags\": %u, \"service_flags1\": %u, \"service_flags2\": %u,"
            " \"service_flags3\": %u, \"service_flags4\": %u,\n   \"service_flags\": {",
            (unsigned)p->dwProviderFlags, (unsigned)p->dwServiceFlags1,
            (unsigned)p->dwServiceFlags2, (unsigned)p->dwServiceFlags3,
            (unsigned)p->dwServiceFlags4);
    for (size_t i = 0; i < sizeof crec_xp1 / sizeof crec_xp1[0]; i++)
        fprintf(f, "%s\"%s\": %s", i ? ", " : "", crec_xp1[i].key,
                (p->dwServiceFlags1 & crec_xp1[i].flag) ? "true" : "false");
    fprintf(f, "}}");
}

int crec_write(FILE *f, const struct crec *r, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        crec_write_one(f, &r[i], i == 0);
    fprintf(f, "\n]\n");
    return ferror(f) ? -1 : 0;
}
