/* SPDX-License-Identifier: MIT */
/* wsp catalog: the protocol catalog as `netsh winsock show catalog` shows it on
 * Windows, or as JSON for scripts (the catalog file's own format). Everything
 * comes from WSCEnumProtocols and WSCGetProviderPath; nothing is hard-coded
 * here except the names of numbers. The subcommands that change the catalog
 * are in catalog_edit.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>

#include "catalog_edit.h"
#include "commands.h"
#include "exitcode.h"
#include "report.h"
#include "ws2/catalog_record.h"

#define CATALOG_PATH_MAX 1024

/* The XP1 service flags, spelled out (Windows' wording, lower case). */
static const struct {
    DWORD flag;
    const char *text; /* text output */
    const char *key;  /* JSON key */
} xp1_flags[] = {
    {XP1_CONNECTIONLESS, "connectionless", "connectionless"},
    {XP1_GUARANTEED_DELIVERY, "guaranteed delivery", "guaranteed_delivery"},
    {XP1_GUARANTEED_ORDER, "guaranteed order", "guaranteed_order"},
    {XP1_MESSAGE_ORIENTED, "message oriented", "message_oriented"},
    {XP1_PSEUDO_STREAM, "pseudo stream", "pseudo_stream"},
    {XP1_GRACEFUL_CLOSE, "graceful close", "graceful_close"},
    {XP1_EXPEDITED_DATA, "expedited data", "expedited_data"},
    {XP1_CONNECT_DATA, "connect data", "connect_data"},
    {XP1_DISCONNECT_DATA, "disconnect data", "disconnect_data"},
    {XP1_SUPPORT_BROADCAST, "broadcast", "support_broadcast"},
    {XP1_SUPPORT_MULTIPOINT, "multipoint", "support_multipoint"},
    {XP1_MULTIPOINT_CONTROL_PLANE, "multipoint control plane", "multipoint_control_plane"},
    {XP1_MULTIPOINT_DATA_PLANE, "multipoint data plane", "multipoint_data_plane"},
    {XP1_QOS_SUPPORTED, "QoS", "qos_supported"},
    {XP1_INTERRUPT, "interrupt", "interrupt"},
    {XP1_UNI_SEND, "unidirectional send", "uni_send"},
    {XP1_UNI_RECV, "unidirectional receive", "uni_recv"},
    {XP1_IFS_HANDLES, "IFS handles", "ifs_handles"},
    {XP1_PARTIAL_MESSAGE, "partial message", "partial_message"},
    {XP1_SAN_SUPPORT_SDP, "SAN SDP", "san_support_sdp"},
};
#define XP1_COUNT (sizeof xp1_flags / sizeof xp1_flags[0])

struct catalog_name {
    int value;
    const char *name;
};
static const struct catalog_name af_names[] = {{AF_INET, "AF_INET"}, {AF_INET6, "AF_INET6"}};
static const struct catalog_name type_names[] = {{SOCK_STREAM, "SOCK_STREAM"},
                                                 {SOCK_DGRAM, "SOCK_DGRAM"},
                                                 {SOCK_RAW, "SOCK_RAW"},
                                                 {SOCK_SEQPACKET, "SOCK_SEQPACKET"}};
static const struct catalog_name proto_names[] = {
    {IPPROTO_TCP, "TCP"}, {IPPROTO_UDP, "UDP"}, {WSP_PROTO_ITOT, "ITOT"}};

#define NAME_OF(table, v) catalog_name_of((table), sizeof(table) / sizeof((table)[0]), (v))
static const char *catalog_name_of(const struct catalog_name *t, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == v)
            return t[i].name;
    return "unknown";
}

/* Everything shown for one entry besides the WSAPROTOCOL_INFOW itself. */
struct catalog_extra {
    char description[WSAPROTOCOL_LEN * 3 + 1];
    char guid[40];
    char path[CATALOG_PATH_MAX * 3 + 1];
    char provider[64]; /* module file name without "wsp_" and ".so" */
    int path_error;    /* WSAE* from WSCGetProviderPath, 0 if the path is known */
};

static void catalog_extra_fill(WSAPROTOCOL_INFOW *p, struct catalog_extra *x)
{
    report_utf16_to_utf8(p->szProtocol, WSAPROTOCOL_LEN + 1, x->description, sizeof x->description);
    report_guid(&p->ProviderId, x->guid, sizeof x->guid);
    WCHAR wpath[CATALOG_PATH_MAX];
    int len = CATALOG_PATH_MAX, err = 0;
    x->path_error = 0;
    if (WSCGetProviderPath(&p->ProviderId, wpath, &len, &err) != 0) {
        x->path_error = err ? err : WSASYSCALLFAILURE;
        x->path[0] = '\0';
        snprintf(x->provider, sizeof x->provider, "unknown");
        return;
    }
    report_utf16_to_utf8(wpath, CATALOG_PATH_MAX, x->path, sizeof x->path);
    const char *base = strrchr(x->path, '/');
    base = base ? base + 1 : x->path;
    if (strncmp(base, "wsp_", 4) == 0)
        base += 4;
    size_t n = strnlen(base, sizeof x->provider - 1);
    memcpy(x->provider, base, n);
    x->provider[n] = '\0';
    char *dot = strstr(x->provider, ".so");
    if (dot)
        *dot = '\0';
}

static const char *catalog_entry_type(const WSAPROTOCOL_INFOW *p)
{
    if (p->ProtocolChain.ChainLen == LAYERED_PROTOCOL)
        return "Layered Service Provider";
    if (p->ProtocolChain.ChainLen == BASE_PROTOCOL)
        return "Base Service Provider";
    return "Layered Chain Entry";
}

static void catalog_print_text(WSAPROTOCOL_INFOW *p, const struct catalog_extra *x)
{
#define ROW(label) printf("%-36s", label ":")
    printf("\nWinsock Catalog Provider Entry\n");
    printf("------------------------------------------------------\n");
    ROW("Entry Type");
    printf("%s\n", catalog_entry_type(p));
    ROW("Description");
    printf("%s\n", x->description);
    ROW("Provider Name");
    printf("%s\n", x->provider);
    ROW("Provider ID");
    printf("%s\n", x->guid);
    ROW("Provider Path");
    if (x->path_error)
        printf("(unknown: %s)\n", report_wsa_name(x->path_error));
    else
        printf("%s\n", x->path);
    ROW("Catalog Entry ID");
    printf("%u\n", (unsigned)p->dwCatalogEntryId);
    ROW("Version");
    printf("%d\n", p->iVersion);
    ROW("Address Family");
    printf("%d (%s)\n", p->iAddressFamily, NAME_OF(af_names, p->iAddressFamily));
    ROW("Max Address Length");
    printf("%d\n", p->iMaxSockAddr);
    ROW("Min Address Length");
    printf("%d\n", p->iMinSockAddr);
    ROW("Socket Type");
    printf("%d (%s)\n", p->iSocketType, NAME_OF(type_names, p->iSocketType));
    ROW("Protocol");
    printf("%d (%s)\n", p->iProtocol, NAME_OF(proto_names, p->iProtocol));
    ROW("Protocol Chain Length");
    printf("%d\n", p->ProtocolChain.ChainLen);
    ROW("Protocol Chain");
    for (int i = 0; i < p->ProtocolChain.ChainLen && i < MAX_PROTOCOL_CHAIN; i++)
        printf("%s%u", i ? " -> " : "", (unsigned)p->ProtocolChain.ChainEntries[i]);
    printf(p->ProtocolChain.ChainLen ? "\n" : "(none)\n");
    ROW("Max Message Size");
    printf("%u\n", (unsigned)p->dwMessageSize);
    ROW("Provider Flags");
    printf("0x%08x\n", (unsigned)p->dwProviderFlags);
    ROW("Service Flags");
    printf("0x%08x\n", (unsigned)p->dwServiceFlags1);
    for (size_t i = 0; i < XP1_COUNT; i++) {
        char label[48];
        snprintf(label, sizeof label, "    %s:", xp1_flags[i].text);
        printf("%-36s%s\n", label, (p->dwServiceFlags1 & xp1_flags[i].flag) ? "yes" : "no");
    }
#undef ROW
}

/* The JSON form: the library's own writer (catalog_record.c), so the file
 * format and this output are one and the same. */
static int catalog_print_json(const WSAPROTOCOL_INFOW *infos, int n)
{
    struct crec_list l = {0};
    struct catalog_extra *x = malloc(sizeof *x);
    int rc = x ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        WSAPROTOCOL_INFOW p = infos[i];
        catalog_extra_fill(&p, x);
        rc = crec_push(&l, &p, x->path_error ? NULL : x->path);
    }
    if (rc == 0)
        rc = crec_write(stdout, l.v, l.n);
    crec_clear(&l);
    free(x);
    return rc;
}

static void catalog_help(void)
{
    printf("Usage: wsp catalog [--json]\n"
           "       wsp catalog install MODULE --info FILE.json\n"
           "       wsp catalog install MODULE --layer --over ID[,ID...] [--name NAME]\n"
           "       wsp catalog remove ID|GUID\n"
           "       wsp catalog order ID...\n"
           "       wsp catalog reset\n\n"
           "Lists every entry of the Winsock protocol catalog, as 'netsh winsock show catalog'\n"
           "does on Windows: entry id, provider name, GUID and module path, address family,\n"
           "socket type, protocol, protocol chain and the XP1 service flags spelled out\n"
           "(for example 'disconnect data: yes'). The catalog is a file (WSP_CATALOG, else\n"
           "~/.config/wsp/catalog.json); the other forms change it:\n"
           "  install --info   a base provider: MODULE with the entries of FILE.json (the\n"
           "                   format --json prints; ids and GUID are assigned)\n"
           "  install --layer  a layered entry for MODULE plus one chain over each base entry\n"
           "  remove           the provider of entry ID (all its entries), or of GUID\n"
           "  order            these ids first, the others after as they were\n"
           "  reset            every installed provider removed, built-ins in their order\n\n"
           "Options:\n"
           "  --json    one JSON array, one object per entry (keys in 'man wsp')\n"
           "  --help    this text\n");
    tool_exit_print_help();
}

int cmd_catalog(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] != '-') {
        int rc = catalog_edit(argc - 1, argv + 1);
        if (rc >= 0)
            return rc;
    }
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int json = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            catalog_help();
            return TOOL_EXIT_OK;
        default:
            report_error("catalog: unknown option '%s' (try 'wsp catalog --help')",
                         argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        report_error("catalog: unexpected argument '%s' (try 'wsp catalog --help')", argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    int rc = tool_winsock_start();
    if (rc != TOOL_EXIT_OK)
        return rc;
    /* every entry, layered ones too (as netsh shows them); a bad catalog file
     * is reported with its line, and the built-in entries are still listed */
    WSAPROTOCOL_INFOW *infos;
    int n = catalog_read_all(&infos);
    if (n < 0) {
        WSACleanup();
        return TOOL_EXIT_FAILURE;
    }
    int bad_file = catalog_report_file();
    struct catalog_extra *x = malloc(sizeof *x);
    if (!x) {
        report_error("catalog: out of memory");
        free(infos);
        WSACleanup();
        return TOOL_EXIT_FAILURE;
    }
    if (json) {
        if (catalog_print_json(infos, n) != 0)
            rc = TOOL_EXIT_FAILURE;
    } else {
        for (int i = 0; i < n; i++) {
            catalog_extra_fill(&infos[i], x);
            catalog_print_text(&infos[i], x);
        }
    }
    free(x);
    free(infos);
    WSACleanup();
    return bad_file ? TOOL_EXIT_FAILURE : rc;
}
