/* SPDX-License-Identifier: MIT */
/* From a catalog entry to the suite's fixture: everything the clause tests
 * need to know about a provider comes from its WSAPROTOCOL_INFOW (family,
 * type, protocol, XP1 flags) and --disc-max; its loopback address is that of
 * its family. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/winsock2.h>

#include "commands.h"
#include "conformance.h"
#include "exitcode.h"
#include "report.h"

/* The fixture's protocol_info has no argument: one run per process. */
static WSAPROTOCOL_INFOW cf_info;

static void cf_info_fill(WSAPROTOCOL_INFOW *p)
{
    *p = cf_info;
}

static WSAPROTOCOL_INFOW *cf_enum(int *count)
{
    DWORD size = 0;
    WSAPROTOCOL_INFOW *infos = NULL;
    int n = SOCKET_ERROR;
    /* Size query first; again if the catalog grew in between. */
    for (int attempt = 0; attempt < 4; attempt++) {
        n = WSAEnumProtocolsW(NULL, infos, &size);
        if (n != SOCKET_ERROR || WSAGetLastError() != WSAENOBUFS)
            break;
        free(infos);
        infos = malloc(size ? size : 1);
        if (infos == NULL)
            return NULL;
    }
    if (n == SOCKET_ERROR || infos == NULL) {
        report_wsa_error("WSAEnumProtocolsW", n == SOCKET_ERROR ? WSAGetLastError() : WSAEFAULT);
        free(infos);
        return NULL;
    }
    *count = n;
    return infos;
}

int cf_lookup_entry(struct cf_run *run, bool want_path)
{
    int rc = tool_winsock_start();
    if (rc != TOOL_EXIT_OK)
        return rc;
    int n = 0;
    WSAPROTOCOL_INFOW *infos = cf_enum(&n);
    rc = infos == NULL ? TOOL_EXIT_FAILURE : TOOL_EXIT_USAGE;
    for (int i = 0; infos != NULL && i < n; i++) {
        if (infos[i].dwCatalogEntryId != run->entry)
            continue;
        run->info = infos[i];
        rc = TOOL_EXIT_OK;
    }
    if (rc == TOOL_EXIT_USAGE)
        report_error("conformance: no catalog entry %lu (see 'wsp catalog')",
                     (unsigned long)run->entry);
    if (rc == TOOL_EXIT_OK && want_path) {
        WCHAR wpath[CF_PATH_MAX];
        int len = CF_PATH_MAX, err = 0;
        if (WSCGetProviderPath(&run->info.ProviderId, wpath, &len, &err) != 0) {
            report_wsa_error("WSCGetProviderPath", err);
            rc = TOOL_EXIT_FAILURE;
        } else {
            report_utf16_to_utf8(wpath, CF_PATH_MAX, run->module, sizeof run->module);
        }
    }
    report_utf16_to_utf8(run->info.szProtocol, WSAPROTOCOL_LEN + 1, run->description,
                         sizeof run->description);
    free(infos);
    WSACleanup(); /* before any fork: the children start from a clean process */
    return rc;
}

int cf_make_fixture(struct cf_run *run)
{
    const WSAPROTOCOL_INFOW *p = &run->info;
    struct conf_fixture *fx = &run->fx;
    memset(fx, 0, sizeof *fx);
    if (p->iAddressFamily == AF_INET) {
        fx->loopback = conf_loopback4;
    } else if (p->iAddressFamily == AF_INET6) {
        fx->loopback = conf_loopback6;
    } else {
        report_error("conformance: entry %lu: no loopback address known for address family %d "
                     "(the suite runs on 127.0.0.1 and ::1)",
                     (unsigned long)run->entry, p->iAddressFamily);
        return TOOL_EXIT_FAILURE;
    }
    DWORD f = p->dwServiceFlags1;
    fx->name = "entry";
    fx->module = run->module;
    fx->af = p->iAddressFamily;
    fx->type = p->iSocketType;
    fx->protocol = p->iProtocol;
    fx->connectionless = (f & XP1_CONNECTIONLESS) != 0;
    fx->stream = !fx->connectionless && (f & XP1_MESSAGE_ORIENTED) == 0;
    fx->disc_data = (f & XP1_DISCONNECT_DATA) != 0;
    if (run->disc_max_given && !fx->disc_data) {
        report_error("conformance: --disc-max: entry %lu does not claim disconnect data "
                     "(XP1_DISCONNECT_DATA)",
                     (unsigned long)run->entry);
        return TOOL_EXIT_USAGE;
    }
    if (!run->disc_max_given)
        run->disc_max = fx->disc_data ? CF_DISC_MAX_DEFAULT : 0;
    fx->max_disc_data = run->disc_max;
    /* Unknown provider: it may write from a thread of its own, and may reach
     * the system by calls the fault shim does not see. */
    fx->io_thread = true;
    fx->fault_optional = true;
    cf_info = *p;
    fx->protocol_info = cf_info_fill;
    /* A provider may answer a connect only when the accept takes it (as the
     * ISO transport does): connect from a second thread. */
    fx->make_pair = fx->connectionless ? NULL : conf_pair_threaded;
    run->ctx = (struct conf_ctx){.fx = fx, .lv = &conf_level_spi};
    return TOOL_EXIT_OK;
}
