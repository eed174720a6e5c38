/* SPDX-License-Identifier: MIT */
/* `wsp catalog install|remove|order|reset` (see catalog_edit.h). Every change
 * goes through the WSC calls of libwsp; the JSON of `--info` is read with the
 * library's own reader (catalog_record.c, compiled in), so what `wsp catalog
 * --json` prints is what install reads. Each command prints what it changed;
 * bad input is exit 2 with a message, and changes nothing. */
#include "catalog_edit.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <wsp/wspext.h>

#include "exitcode.h"
#include "report.h"
#include "ws2/catalog_record.h"

#define EDIT_PATH_MAX 4096
/* ids up to this are the built-in entries' (installed ones start at 2001) */
#define EDIT_LAST_BUILTIN 2000

int catalog_report_file(void)
{
    char msg[EDIT_PATH_MAX + 256];
    if (wsp_catalog_status(msg, sizeof msg) == 0)
        return 0;
    report_error("catalog: %s", msg);
    return 1;
}

int catalog_read_all(WSAPROTOCOL_INFOW **out)
{
    DWORD size = 0;
    WSAPROTOCOL_INFOW *infos = NULL;
    int n = SOCKET_ERROR, err = 0;
    /* size query first; loop because the catalog may grow in between */
    for (int attempt = 0; attempt < 4; attempt++) {
        n = WSCEnumProtocols(NULL, infos, &size, &err);
        if (n != SOCKET_ERROR || err != WSAENOBUFS)
            break;
        free(infos);
        infos = malloc(size ? size : 1);
        if (infos == NULL) {
            report_error("catalog: out of memory");
            return -1;
        }
    }
    if (n == SOCKET_ERROR) {
        report_wsa_error("WSCEnumProtocols", err);
        free(infos);
        return -1;
    }
    if (n > 0 && infos == NULL) { /* entries reported into no buffer: not a catalog */
        report_error("catalog: WSCEnumProtocols reported %d entries without a buffer", n);
        return -1;
    }
    *out = infos;
    return n;
}

static int edit_find(const WSAPROTOCOL_INFOW *all, int n, DWORD id)
{
    for (int i = 0; i < n; i++)
        if (all[i].dwCatalogEntryId == id)
            return i;
    return -1;
}

/* A catalog id: decimal, 1 to 2^32-1. */
static int edit_parse_id(const char *s, DWORD *id)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 0xFFFFFFFFull || s[0] == '-')
        return -1;
    *id = (DWORD)v;
    return 0;
}

static void edit_to_wide(const char *s, WCHAR *w, size_t cap)
{
    /* the library refuses lone surrogates; UTF-8 -> UTF-16 by hand here */
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && o + 2 < cap) {
        unsigned cp = *p++;
        int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        cp &= more == 3 ? 0x07 : more == 2 ? 0x0F : more == 1 ? 0x1F : 0x7F;
        for (; more > 0 && (*p & 0xC0) == 0x80; more--)
            cp = (cp << 6) | (*p++ & 0x3F);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            w[o++] = (WCHAR)(0xD800 + (cp >> 10));
            w[o++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            w[o++] = (WCHAR)cp;
        }
    }
    w[o] = 0;
}

static void edit_random_guid(GUID *g)
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* no entropy source: time and pid still make a clash unlikely */
        unsigned long long t =
            (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
        memcpy(b, &t, sizeof t);
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 (RFC 4122) */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    g->Data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    g->Data2 = (uint16_t)(b[4] << 8 | b[5]);
    g->Data3 = (uint16_t)(b[6] << 8 | b[7]);
    memcpy(g->Data4, b + 8, 8);
}

/* A module that can be installed: an absolute path that loads and exports
 * WSPStartup, or a bare name (searched by the library at load time, so it
 * cannot be checked here). WSCInstallProvider itself does not load the
 * module, as on Windows; the command checks, so that a typo is caught now. */
static int edit_check_module(const char *module)
{
    if (module[0] != '/' && strchr(module, '/') != NULL) {
        report_error("catalog: module '%s': give an absolute path or a bare file name "
                     "(a relative path would depend on the working directory)",
                     module);
        return TOOL_EXIT_USAGE;
    }
    if (module[0] != '/')
        return TOOL_EXIT_OK; /* searched at load time (WSP_PROVIDER_PATH, ...) */
    void *dl = dlopen(module, RTLD_LAZY | RTLD_LOCAL);
    if (dl == NULL) {
        report_error("catalog: module '%s' cannot be loaded: %s", module, dlerror());
        return TOOL_EXIT_USAGE;
    }
    int has = dlsym(dl, "WSPStartup") != NULL;
    dlclose(dl);
    if (!has) {
        report_error("catalog: module '%s' does not export WSPStartup: not a provider", module);
        return TOOL_EXIT_USAGE;
    }
    return TOOL_EXIT_OK;
}

static int edit_install_call(const GUID *g, const char *module, WSAPROTOCOL_INFOW *pi, DWORD n)
{
    static WCHAR wpath[EDIT_PATH_MAX];
    edit_to_wide(module, wpath, EDIT_PATH_MAX);
    int err = 0;
    GUID id = *g;
    if (WSCInstallProvider(&id, wpath, pi, n, &err) == 0)
        return 0;
    if (err == WSASYSCALLFAILURE && catalog_report_file())
        return TOOL_EXIT_FAILURE;
    report_wsa_error("WSCInstallProvider", err);
    return err == WSAEINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
}

static void edit_print_entry(const char *verb, const WSAPROTOCOL_INFOW *p, const char *module)
{
    char guid[40], desc[WSAPROTOCOL_LEN * 3 + 1];
    report_guid(&p->ProviderId, guid, sizeof guid);
    report_utf16_to_utf8(p->szProtocol, WSAPROTOCOL_LEN + 1, desc, sizeof desc);
    printf("%s entry %u (%s): \"%s\", provider %s%s%s\n", verb, (unsigned)p->dwCatalogEntryId,
           crec_entry_type(p->ProtocolChain.ChainLen), desc, guid, module ? ", module " : "",
           module ? module : "");
}

static int edit_read_text(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        report_error("catalog: cannot open '%s': %s", path, strerror(errno));
        return TOOL_EXIT_USAGE;
    }
    char *buf = malloc(CREC_MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, CREC_MAX_FILE + 1, f) : 0;
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad || n > CREC_MAX_FILE) {
        report_error("catalog: '%s': %s", path, bad ? "cannot read" : "larger than 1 MiB");
        free(buf);
        return TOOL_EXIT_USAGE;
    }
    *text = buf;
    *len = n;
    return TOOL_EXIT_OK;
}

static int edit_install_info(const char *module, const char *info_path)
{
    char *text;
    size_t len;
    int rc = edit_read_text(info_path, &text, &len);
    if (rc != TOOL_EXIT_OK)
        return rc;
    struct crec_list l = {0};
    struct crec_error err;
    if (crec_parse(text, len, CREC_INFO, &l, &err) != 0) {
        report_error("catalog: %s:%d: %s", info_path, err.line, err.msg);
        free(text);
        return TOOL_EXIT_USAGE;
    }
    free(text);
    if (l.n == 0) {
        report_error("catalog: %s: no entries", info_path);
        crec_clear(&l);
        return TOOL_EXIT_USAGE;
    }
    /* one provider: the GUID given (the same in every entry) or a new one */
    GUID g = l.v[0].info.ProviderId;
    static const GUID none;
    for (size_t i = 1; i < l.n; i++)
        if (memcmp(&l.v[i].info.ProviderId, &g, sizeof g) != 0) {
            report_error("catalog: %s:%d: every entry must have the same provider_id", info_path,
                         l.v[i].line);
            crec_clear(&l);
            return TOOL_EXIT_USAGE;
        }
    if (memcmp(&g, &none, sizeof g) == 0)
        edit_random_guid(&g);
    WSAPROTOCOL_INFOW *pi = calloc(l.n, sizeof *pi);
    rc = pi ? TOOL_EXIT_OK : TOOL_EXIT_FAILURE;
    for (size_t i = 0; pi && i < l.n; i++) {
        pi[i] = l.v[i].info;
        if (pi[i].ProtocolChain.ChainLen != BASE_PROTOCOL) {
            report_error("catalog: %s:%d: --info installs base entries (protocol_chain of one); "
                         "use --layer for a layered provider",
                         info_path, l.v[i].line);
            rc = TOOL_EXIT_USAGE;
        }
    }
    if (rc == TOOL_EXIT_OK)
        rc = edit_install_call(&g, module, pi, (DWORD)l.n);
    for (size_t i = 0; rc == TOOL_EXIT_OK && i < l.n; i++) {
        pi[i].ProviderId = g;
        edit_print_entry("installed", &pi[i], module);
    }
    free(pi);
    crec_clear(&l);
    return rc;
}

/* A layered entry (a copy of the first base entry with ChainLen 0) and one
 * chain [layer, base] per base entry, under two new GUIDs: the layer's and
 * the chains' (as Windows LSP installers do). */
static int edit_install_layer(const char *module, char *over, const char *name)
{
    WSAPROTOCOL_INFOW *all;
    int n = catalog_read_all(&all);
    if (n < 0)
        return TOOL_EXIT_FAILURE;
    DWORD bases[MAX_PROTOCOL_CHAIN * 8];
    int nb = 0, rc = TOOL_EXIT_OK;
    for (char *tok = strtok(over, ","); tok && rc == TOOL_EXIT_OK; tok = strtok(NULL, ",")) {
        DWORD id;
        int at = edit_parse_id(tok, &id) == 0 ? edit_find(all, n, id) : -1;
        if (at < 0 || all[at].ProtocolChain.ChainLen != BASE_PROTOCOL ||
            nb == (int)(sizeof bases / sizeof bases[0])) {
            report_error(
                "catalog: --over '%s': not a base entry of the catalog (see 'wsp catalog')", tok);
            rc = TOOL_EXIT_USAGE;
        } else {
            bases[nb++] = (DWORD)at;
        }
    }
    if (rc == TOOL_EXIT_OK && nb == 0) {
        report_error("catalog: --over needs at least one entry id");
        rc = TOOL_EXIT_USAGE;
    }
    const char *base_name = strrchr(module, '/') ? strrchr(module, '/') + 1 : module;
    char label[WSAPROTOCOL_LEN + 1];
    snprintf(label, sizeof label, "%s", name ? name : base_name);
    GUID gl, gc;
    edit_random_guid(&gl);
    edit_random_guid(&gc);
    WSAPROTOCOL_INFOW layer;
    if (rc == TOOL_EXIT_OK) {
        layer = all[bases[0]];
        layer.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
        edit_to_wide(label, layer.szProtocol, WSAPROTOCOL_LEN + 1);
        rc = edit_install_call(&gl, module, &layer, 1);
    }
    WSAPROTOCOL_INFOW chains[sizeof bases / sizeof bases[0]];
    for (int i = 0; rc == TOOL_EXIT_OK && i < nb; i++) {
        const WSAPROTOCOL_INFOW *b = &all[bases[i]];
        chains[i] = *b;
        chains[i].ProtocolChain.ChainLen = 2;
        chains[i].ProtocolChain.ChainEntries[0] = layer.dwCatalogEntryId;
        chains[i].ProtocolChain.ChainEntries[1] = b->dwCatalogEntryId;
        char desc[WSAPROTOCOL_LEN * 3 + 1], text[WSAPROTOCOL_LEN * 7];
        report_utf16_to_utf8(b->szProtocol, WSAPROTOCOL_LEN + 1, desc, sizeof desc);
        snprintf(text, sizeof text, "%s over [%s]", label, desc);
        edit_to_wide(text, chains[i].szProtocol, WSAPROTOCOL_LEN + 1);
    }
    if (rc == TOOL_EXIT_OK) {
        layer.ProviderId = gl;
        rc = edit_install_call(&gc, module, chains, (DWORD)nb);
        if (rc != TOOL_EXIT_OK) {
            int err;
            (void)WSCDeinstallProvider(&gl, &err); /* nothing half-done stays */
        }
    }
    if (rc == TOOL_EXIT_OK) {
        edit_print_entry("installed", &layer, module);
        for (int i = 0; i < nb; i++) {
            chains[i].ProviderId = gc;
            edit_print_entry("installed", &chains[i], module);
        }
    }
    free(all);
    return rc;
}

static int edit_install(int argc, char **argv)
{
    const char *module = NULL, *info = NULL, *name = NULL;
    char *over = NULL;
    int layer = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--info") == 0 && has_value)
            info = argv[++i];
        else if (strcmp(a, "--over") == 0 && has_value)
            over = argv[++i];
        else if (strcmp(a, "--name") == 0 && has_value)
            name = argv[++i];
        else if (strcmp(a, "--layer") == 0)
            layer = 1;
        else if (a[0] != '-' && module == NULL)
            module = a;
        else {
            report_error("catalog install: unexpected argument '%s'", a);
            return TOOL_EXIT_USAGE;
        }
    }
    if (module == NULL || (info == NULL) == (layer == 0) || (layer && over == NULL) ||
        (!layer && (over || name))) {
        report_error("catalog install: use 'install MODULE --info FILE.json' or "
                     "'install MODULE --layer --over ID[,ID...] [--name NAME]'");
        return TOOL_EXIT_USAGE;
    }
    int rc = edit_check_module(module);
    if (rc != TOOL_EXIT_OK)
        return rc;
    return layer ? edit_install_layer(module, over, name) : edit_install_info(module, info);
}

/* Which chain of another provider still names one of g's entries. */
static int edit_user_of(const WSAPROTOCOL_INFOW *all, int n, const GUID *g)
{
    for (int i = 0; i < n; i++) {
        if (all[i].ProtocolChain.ChainLen <= BASE_PROTOCOL ||
            memcmp(&all[i].ProviderId, g, sizeof *g) == 0)
            continue;
        for (int k = 0; k < all[i].ProtocolChain.ChainLen; k++) {
            int at = edit_find(all, n, all[i].ProtocolChain.ChainEntries[k]);
            if (at >= 0 && memcmp(&all[at].ProviderId, g, sizeof *g) == 0)
                return i;
        }
    }
    return -1;
}

static int edit_remove_provider(const WSAPROTOCOL_INFOW *all, int n, GUID g)
{
    char guid[40];
    report_guid(&g, guid, sizeof guid);
    int err = 0;
    if (WSCDeinstallProvider(&g, &err) != 0) {
        if (err == WSASYSCALLFAILURE && catalog_report_file())
            return TOOL_EXIT_FAILURE;
        int user = edit_user_of(all, n, &g);
        if (user >= 0)
            report_error("catalog: provider %s is used by chain entry %u: remove that first", guid,
                         (unsigned)all[user].dwCatalogEntryId);
        else
            report_wsa_error("WSCDeinstallProvider", err);
        return err == WSAEINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
    }
    for (int i = 0; i < n; i++)
        if (memcmp(&all[i].ProviderId, &g, sizeof g) == 0)
            edit_print_entry("removed", &all[i], NULL);
    return TOOL_EXIT_OK;
}

static int edit_remove(int argc, char **argv)
{
    if (argc != 2) {
        report_error("catalog remove: one entry id or provider GUID expected");
        return TOOL_EXIT_USAGE;
    }
    WSAPROTOCOL_INFOW *all;
    int n = catalog_read_all(&all);
    if (n < 0)
        return TOOL_EXIT_FAILURE;
    GUID g;
    DWORD id;
    int rc = TOOL_EXIT_OK;
    if (crec_guid_parse(argv[1], &g) != 0) {
        int at = edit_parse_id(argv[1], &id) == 0 ? edit_find(all, n, id) : -1;
        if (at < 0) {
            report_error("catalog remove: '%s' is neither an entry id of the catalog nor a GUID "
                         "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}",
                         argv[1]);
            rc = TOOL_EXIT_USAGE;
        } else {
            g = all[at].ProviderId;
        }
    }
    if (rc == TOOL_EXIT_OK) {
        int builtin = 0;
        for (int i = 0; i < n; i++)
            builtin |= memcmp(&all[i].ProviderId, &g, sizeof g) == 0 &&
                       all[i].dwCatalogEntryId <= EDIT_LAST_BUILTIN;
        if (builtin) {
            report_error("catalog remove: the built-in entries cannot be removed");
            rc = TOOL_EXIT_USAGE;
        }
    }
    if (rc == TOOL_EXIT_OK)
        rc = edit_remove_provider(all, n, g);
    free(all);
    return rc;
}

static int edit_write_order(const DWORD *ids, int n)
{
    int err = WSCWriteProviderOrder((LPDWORD)ids, (DWORD)n);
    if (err != 0) {
        if (err == WSASYSCALLFAILURE && catalog_report_file())
            return TOOL_EXIT_FAILURE;
        report_wsa_error("WSCWriteProviderOrder", err);
        return TOOL_EXIT_FAILURE;
    }
    printf("order:");
    for (int i = 0; i < n; i++)
        printf(" %u", (unsigned)ids[i]);
    printf("\n");
    return TOOL_EXIT_OK;
}

/* The ids given first, in that order; every other entry after, as it was. */
static int edit_order(int argc, char **argv)
{
    if (argc < 2) {
        report_error("catalog order: entry ids expected");
        return TOOL_EXIT_USAGE;
    }
    WSAPROTOCOL_INFOW *all;
    int n = catalog_read_all(&all);
    if (n < 0)
        return TOOL_EXIT_FAILURE;
    DWORD *ids = calloc((size_t)n + 1, sizeof *ids);
    char *used = calloc((size_t)n + 1, 1);
    int k = 0, rc = ids && used ? TOOL_EXIT_OK : TOOL_EXIT_FAILURE;
    for (int i = 1; rc == TOOL_EXIT_OK && i < argc; i++) {
        DWORD id;
        int at = edit_parse_id(argv[i], &id) == 0 ? edit_find(all, n, id) : -1;
        if (at < 0 || used[at]) {
            report_error("catalog order: '%s' is %s", argv[i],
                         at < 0 ? "not an entry id of the catalog" : "given twice");
            rc = TOOL_EXIT_USAGE;
            break;
        }
        used[at] = 1;
        ids[k++] = id;
    }
    for (int i = 0; rc == TOOL_EXIT_OK && i < n; i++)
        if (!used[i])
            ids[k++] = all[i].dwCatalogEntryId;
    if (rc == TOOL_EXIT_OK)
        rc = edit_write_order(ids, n);
    free(ids);
    free(used);
    free(all);
    return rc;
}

/* Every installed provider removed (chains first, then layered entries, then
 * base ones, so no chain is left dangling) and the built-ins in their order. */
static int edit_reset(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        report_error("catalog reset: no arguments expected");
        return TOOL_EXIT_USAGE;
    }
    WSAPROTOCOL_INFOW *all;
    int n = catalog_read_all(&all);
    if (n < 0)
        return TOOL_EXIT_FAILURE;
    if (catalog_report_file()) {
        char path[EDIT_PATH_MAX];
        if (wsp_catalog_path(path, sizeof path) == 0)
            report_error("catalog reset: the file is not changed by wsp; fix or remove %s", path);
        free(all);
        return TOOL_EXIT_FAILURE;
    }
    int rc = TOOL_EXIT_OK;
    static const int pass_len[] = {2, LAYERED_PROTOCOL, BASE_PROTOCOL};
    for (size_t p = 0; p < 3 && rc == TOOL_EXIT_OK; p++) {
        for (int i = 0; i < n && rc == TOOL_EXIT_OK; i++) {
            int len = all[i].ProtocolChain.ChainLen;
            int kind = len > BASE_PROTOCOL ? 2 : len;
            if (all[i].dwCatalogEntryId <= EDIT_LAST_BUILTIN || kind != pass_len[p])
                continue;
            GUID g = all[i].ProviderId;
            int still = 0;
            WSAPROTOCOL_INFOW *now;
            int m = catalog_read_all(&now);
            for (int j = 0; j < m; j++)
                still |= memcmp(&now[j].ProviderId, &g, sizeof g) == 0;
            if (m >= 0)
                free(now);
            if (still)
                rc = edit_remove_provider(all, n, g);
        }
    }
    DWORD builtin[16];
    int nb = 0;
    for (DWORD id = 1001; id <= 1006; id++)
        builtin[nb++] = id;
    if (rc == TOOL_EXIT_OK)
        rc = edit_write_order(builtin, nb);
    free(all);
    return rc;
}

int catalog_edit(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        {"install", edit_install},
        {"remove", edit_remove},
        {"order", edit_order},
        {"reset", edit_reset},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[0], subs[i].name) == 0)
            return subs[i].run(argc, argv);
    return -1;
}
