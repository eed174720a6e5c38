/* SPDX-License-Identifier: MIT */
/* wsp catalog: the protocol catalog as `netsh winsock show catalog` shows it on
 * Windows, or as JSON for scripts. Everything comes from WSAEnumProtocolsW and
 * WSCGetProviderPath; nothing is hard-coded here except the names of numbers. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/itot.h>
#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>

#include "commands.h"
#include "exitcode.h"
#include "report.h"

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

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if (*c < 0x20)
            printf("\\u%04x", *c);
        else
            putchar(*c);
    }
    putchar('"');
}

static void catalog_print_json(WSAPROTOCOL_INFOW *p, const struct catalog_extra *x, int first)
{
    printf("%s\n  {\"entry_id\": %u, \"entry_type\": ", first ? "" : ",",
           (unsigned)p->dwCatalogEntryId);
    json_string(catalog_entry_type(p));
    printf(", \"description\": ");
    json_string(x->description);
    printf(", \"provider_name\": ");
    json_string(x->provider);
    printf(", \"provider_id\": ");
    json_string(x->guid);
    printf(", \"provider_path\": ");
    if (x->path_error)
        printf("null");
    else
        json_string(x->path);
    printf(",\n   \"version\": %d, \"address_family\": %d, \"address_family_name\": \"%s\","
           " \"max_sockaddr\": %d, \"min_sockaddr\": %d,\n",
           p->iVersion, p->iAddressFamily, NAME_OF(af_names, p->iAddressFamily), p->iMaxSockAddr,
           p->iMinSockAddr);
    printf("   \"socket_type\": %d, \"socket_type_name\": \"%s\", \"protocol\": %d,"
           " \"protocol_name\": \"%s\", \"message_size\": %u,\n",
           p->iSocketType, NAME_OF(type_names, p->iSocketType), p->iProtocol,
           NAME_OF(proto_names, p->iProtocol), (unsigned)p->dwMessageSize);
    printf("   \"protocol_chain\": [");
    for (int i = 0; i < p->ProtocolChain.ChainLen && i < MAX_PROTOCOL_CHAIN; i++)
        printf("%s%u", i ? ", " : "", (unsigned)p->ProtocolChain.ChainEntries[i]);
    printf("], \"provider_flags\": %u, \"service_flags1\": %u,\n   \"service_flags\": {",
           (unsigned)p->dwProviderFlags, (unsigned)p->dwServiceFlags1);
    for (size_t i = 0; i < XP1_COUNT; i++)
        printf("%s\"%s\": %s", i ? ", " : "", xp1_flags[i].key,
               (p->dwServiceFlags1 & xp1_flags[i].flag) ? "true" : "false");
    printf("}}");
}

static void catalog_help(void)
{
    printf("Usage: wsp catalog [--json]\n\n"
           "Lists every entry of the Winsock protocol catalog, as 'netsh winsock show catalog'\n"
           "does on Windows: entry id, provider name, GUID and module path, address family,\n"
           "socket type, protocol, protocol chain and the XP1 service flags spelled out\n"
           "(for example 'disconnect data: yes').\n\n"
           "Options:\n"
           "  --json    one JSON array, one object per entry (keys in 'man wsp')\n"
           "  --help    this text\n");
    tool_exit_print_help();
}

int cmd_catalog(int argc, char **argv)
{
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
        report_error("catalog: unexpected argument '%s'", argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    int rc = tool_winsock_start();
    if (rc != TOOL_EXIT_OK)
        return rc;

    DWORD size = 0;
    WSAPROTOCOL_INFOW *infos = NULL;
    int n = SOCKET_ERROR;
    /* Size query first; loop because the catalog may grow in between. */
    for (int attempt = 0; attempt < 4; attempt++) {
        n = WSAEnumProtocolsW(NULL, infos, &size);
        if (n != SOCKET_ERROR || WSAGetLastError() != WSAENOBUFS)
            break;
        free(infos);
        infos = malloc(size ? size : 1);
        if (!infos) {
            report_error("catalog: out of memory");
            WSACleanup();
            return TOOL_EXIT_FAILURE;
        }
    }
    if (n != SOCKET_ERROR && n > 0 && !infos) {
        /* Entries claimed without a buffer to hold them: a library fault. */
        WSASetLastError(WSAEFAULT);
        n = SOCKET_ERROR;
    }
    if (n == SOCKET_ERROR) {
        report_wsa_error("WSAEnumProtocolsW", WSAGetLastError());
        free(infos);
        WSACleanup();
        return TOOL_EXIT_FAILURE;
    }
    struct catalog_extra *x = malloc(sizeof *x);
    if (!x) {
        report_error("catalog: out of memory");
        free(infos);
        WSACleanup();
        return TOOL_EXIT_FAILURE;
    }
    if (json)
        printf("[");
    for (int i = 0; i < n; i++) {
        catalog_extra_fill(&infos[i], x);
        if (json)
            catalog_print_json(&infos[i], x, i == 0);
        else
            catalog_print_text(&infos[i], x);
    }
    if (json)
        printf("\n]\n");
    free(x);
    free(infos);
    WSACleanup();
    return TOOL_EXIT_OK;
}
