/* SPDX-License-Identifier: MIT */
/* getnameinfo / GetNameInfoW, gai_strerrorA/W: the system resolver with
 * Windows' flags, codes and buffer rules. */
#include <netdb.h>
#include <string.h>

#include <wsp/ws2tcpip.h>

#include "common/umem.h"
#include "debug.h"
#include "lasterror.h"
#include "resolve_map.h"
#include "startup.h"
#include "ustr.h"
#include "wstr.h"

/* The address length Windows requires for the family; 0 for another family. */
static socklen_t nmi_family_len(sa_family_t family)
{
    return family == AF_INET    ? (socklen_t)sizeof(struct sockaddr_in)
           : family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                : 0;
}

/* Look up into local buffers: 0 or a WSA code (Windows: WSAEFAULT for a
 * missing or short address, WSAEAFNOSUPPORT for a family other than IPv4/6,
 * WSAHOST_NOT_FOUND when neither name is asked for). */
static int nmi_lookup(const SOCKADDR *sa, socklen_t salen, char *host, int want_host, char *serv,
                      int want_serv, INT flags)
{
    if (!su_running())
        return WSANOTINITIALISED;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t n = salen < sizeof ss ? salen : (socklen_t)sizeof ss;
    if (sa == NULL || n < sizeof(sa_family_t) || umem_read(&ss, sa, n) != 0)
        return WSAEFAULT;
    socklen_t need = nmi_family_len(ss.ss_family);
    if (need == 0)
        return WSAEAFNOSUPPORT;
    if (n < need)
        return WSAEFAULT;
    if (!want_host && !want_serv)
        return WSAHOST_NOT_FOUND;
    int sys_flags = rsv_ni_flags(flags);
    if (sys_flags < 0)
        return WSAEINVAL;
    return rsv_eai_to_wsa(getnameinfo((struct sockaddr *)&ss, need, want_host ? host : NULL,
                                      want_host ? NI_MAXHOST : 0, want_serv ? serv : NULL,
                                      want_serv ? NI_MAXSERV : 0, sys_flags));
}

/* Never reaches a provider: traced here (debug.h). The address is read
 * through umem; the names found are not shown, only the result. */
static int nmi_trace(const char *name, const SOCKADDR *sa, socklen_t len, INT flags, int err)
{
    if (dbg_on()) {
        struct dbg_line l;
        dbg_begin(&l, name);
        dbg_put_addr(&l, "addr", sa, (int)len);
        dbg_put(&l, ", flags=%#x", (unsigned)flags);
        dbg_result_code(&l, err);
        dbg_emit(&l);
    }
    return err;
}

/* Copy a narrow result out; too small a buffer is WSAEFAULT. */
static int nmi_out(void *dst, size_t cap, const char *src)
{
    size_t need = strlen(src) + 1;
    return need > cap ? WSAEFAULT : umem_write(dst, src, need);
}

static int nmi_out_w(void *dst, size_t cap, const char *src)
{
    return ustr_out_w(dst, cap, src);
}

/* getnameinfo in both string forms: out writes one result (narrow or UTF-16)
 * into a buffer of cap characters. */
static INT nmi_run(const char *fn, const SOCKADDR *sa, socklen_t len, void *node, DWORD node_cap,
                   void *serv, DWORD serv_cap, INT flags,
                   int (*out)(void *dst, size_t cap, const char *src))
{
    char host[NI_MAXHOST], service[NI_MAXSERV];
    int want_host = node != NULL && node_cap != 0;
    int want_serv = serv != NULL && serv_cap != 0;
    int err = nmi_lookup(sa, len, host, want_host, service, want_serv, flags);
    if (err == 0 && want_host)
        err = out(node, node_cap, host);
    if (err == 0 && want_serv)
        err = out(serv, serv_cap, service);
    le_set(nmi_trace(fn, sa, len, flags, err));
    return err;
}

WSP_EXPORT INT WSAAPI wsp_getnameinfo(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                                      PCHAR pNodeBuffer, DWORD NodeBufferSize, PCHAR pServiceBuffer,
                                      DWORD ServiceBufferSize, INT Flags)
{
    return nmi_run("wsp_getnameinfo", pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize,
                   pServiceBuffer, ServiceBufferSize, Flags, nmi_out);
}

WSP_EXPORT INT WSAAPI GetNameInfoW(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                                   PWCHAR pNodeBuffer, DWORD NodeBufferSize, PWCHAR pServiceBuffer,
                                   DWORD ServiceBufferSize, INT Flags)
{
    return nmi_run("GetNameInfoW", pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize,
                   pServiceBuffer, ServiceBufferSize, Flags, nmi_out_w);
}

/* Windows' gai_strerror gives the system message of the WSA code. */
WSP_EXPORT const char *WSAAPI gai_strerrorA(int ecode)
{
    return wsp_strerror(ecode);
}

WSP_EXPORT const WCHAR *WSAAPI gai_strerrorW(int ecode)
{
    static _Thread_local WCHAR nmi_msg[256];
    (void)wstr_from_utf8(nmi_msg, sizeof nmi_msg / sizeof nmi_msg[0], wsp_strerror(ecode));
    return nmi_msg;
}
