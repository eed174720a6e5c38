/* SPDX-License-Identifier: MIT */
/* getaddrinfo / GetAddrInfoW / GetAddrInfoExW and their frees: the system
 * resolver answers, and its list is rebuilt in Windows' layouts (ai_canonname
 * before ai_addr), flags and codes translated (resolve_map.c). Each node of a
 * result (node, address, canonical name) is one allocation, so a list is
 * freed node by node whichever of the three it is. */
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wsp/ws2tcpip.h>

#include "common/umem.h"
#include "debug.h"
#include "lasterror.h"
#include "resolve_map.h"
#include "startup.h"
#include "ustr.h"
#include "wstr.h"

#define RSV_NAME_MAX 1100 /* NI_MAXHOST and then some, in UTF-8 bytes or UTF-16 units */
#define RSV_NAME_BUF 3300 /* RSV_NAME_MAX UTF-16 units as UTF-8: up to 3 bytes each */

/* The three result layouts share their first seven members. */
struct rsv_head {
    int flags, family, socktype, protocol;
    size_t addrlen;
    void *canonname;
    struct sockaddr *addr;
};
_Static_assert(offsetof(ADDRINFOA, ai_addr) == offsetof(struct rsv_head, addr), "A prefix");
_Static_assert(offsetof(ADDRINFOW, ai_addr) == offsetof(struct rsv_head, addr), "W prefix");
_Static_assert(offsetof(ADDRINFOEXW, ai_addr) == offsetof(struct rsv_head, addr), "ExW prefix");
_Static_assert(offsetof(ADDRINFOEXA, ai_addr) == offsetof(struct rsv_head, addr), "ExA prefix");

struct rsv_kind {
    size_t size;      /* of a node, a multiple of the address's alignment */
    size_t next_off;  /* offset of ai_next */
    int wide;         /* canonical name in UTF-16 */
    const char *name; /* the exported function, for the trace */
};
static const struct rsv_kind rsv_a = {sizeof(ADDRINFOA), offsetof(ADDRINFOA, ai_next), 0,
                                      "wsp_getaddrinfo"};
static const struct rsv_kind rsv_w = {sizeof(ADDRINFOW), offsetof(ADDRINFOW, ai_next), 1,
                                      "GetAddrInfoW"};
static const struct rsv_kind rsv_exw = {sizeof(ADDRINFOEXW), offsetof(ADDRINFOEXW, ai_next), 1,
                                        "GetAddrInfoExW"};
static const struct rsv_kind rsv_exa = {sizeof(ADDRINFOEXA), offsetof(ADDRINFOEXA, ai_next), 0,
                                        "GetAddrInfoExA"};

static void rsv_free(void *node, const struct rsv_kind *k)
{
    while (node != NULL) {
        void *next;
        memcpy(&next, (char *)node + k->next_off, sizeof next);
        free(node);
        node = next;
    }
}

/* One node in Windows' layout from a system node; NULL if out of memory. */
static void *rsv_node(const struct addrinfo *ai, const struct rsv_kind *k)
{
    WCHAR wname[RSV_NAME_MAX];
    size_t canon_bytes = 0;
    if (ai->ai_canonname != NULL) {
        if (k->wide) {
            int n = wstr_from_utf8(wname, RSV_NAME_MAX, ai->ai_canonname);
            canon_bytes = (n < 0 ? RSV_NAME_MAX : (size_t)n + 1) * sizeof(WCHAR);
        } else {
            canon_bytes = strlen(ai->ai_canonname) + 1;
        }
    }
    char *node = calloc(1, k->size + ai->ai_addrlen + canon_bytes);
    if (node == NULL)
        return NULL;
    struct rsv_head h = {ai->ai_flags,
                         ai->ai_family,
                         ai->ai_socktype,
                         ai->ai_protocol,
                         ai->ai_addrlen,
                         NULL,
                         (struct sockaddr *)(void *)(node + k->size)};
    memcpy(node + k->size, ai->ai_addr, ai->ai_addrlen);
    if (canon_bytes != 0) {
        h.canonname = node + k->size + ai->ai_addrlen;
        memcpy(h.canonname, k->wide ? (const void *)wname : (const void *)ai->ai_canonname,
               canon_bytes);
    }
    memcpy(node, &h, sizeof h);
    return node;
}

/* The system's list rebuilt; 0 or WSA_NOT_ENOUGH_MEMORY. */
static int rsv_convert(const struct addrinfo *res, const struct rsv_kind *k, void **out)
{
    void *first = NULL, *last = NULL;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        void *node = rsv_node(ai, k);
        if (node == NULL) {
            rsv_free(first, k);
            return WSA_NOT_ENOUGH_MEMORY;
        }
        if (last != NULL)
            memcpy((char *)last + k->next_off, &node, sizeof node);
        else
            first = node;
        last = node;
    }
    *out = first;
    return 0;
}

/* Hints in any of the layouts: Windows wants every member after ai_protocol
 * zero (WSANO_RECOVERY otherwise); flags are translated (WSAEINVAL for a bit
 * Windows does not define). */
static int rsv_hints(const void *user, size_t size, struct addrinfo *sys)
{
    memset(sys, 0, sizeof *sys);
    if (user == NULL)
        return 0;
    union {
        struct rsv_head h;
        ADDRINFOEXW ex;
    } u;
    memset(&u, 0, sizeof u);
    if (umem_read(&u, user, size) != 0)
        return WSAEFAULT;
    const unsigned char *rest = (const unsigned char *)&u + offsetof(struct rsv_head, addrlen);
    for (size_t i = 0; i < size - offsetof(struct rsv_head, addrlen); i++)
        if (rest[i] != 0)
            return WSANO_RECOVERY;
    int flags = rsv_ai_flags(u.h.flags);
    if (flags < 0)
        return WSAEINVAL;
    sys->ai_flags = flags;
    sys->ai_family = u.h.family;
    sys->ai_socktype = u.h.socktype;
    sys->ai_protocol = u.h.protocol;
    return 0;
}

/* The common body once the names are narrow strings (NULL allowed). */
static int rsv_resolve(const char *node, const char *serv, const void *hints,
                       const struct rsv_kind *k, void **result)
{
    struct addrinfo h;
    int err = rsv_hints(hints, k->size, &h);
    if (err != 0)
        return err;
    if (umem_check_write(result, sizeof *result) != 0)
        return WSAEFAULT;
    struct addrinfo *res = NULL;
    err = rsv_eai_to_wsa(getaddrinfo(node, serv, &h, &res));
    if (err != 0)
        return err;
    void *out = NULL;
    err = rsv_convert(res, k, &out);
    freeaddrinfo(res);
    if (err != 0)
        return err;
    if (umem_write(result, &out, sizeof out) != 0) {
        rsv_free(out, k);
        return WSAEFAULT;
    }
    return 0;
}

/* Narrow or wide caller strings to local narrow ones; a NULL stays NULL. */
static int rsv_names(const void *node, const void *serv, int wide, char *nbuf, char *sbuf,
                     const char **n, const char **s)
{
    const void *in[2] = {node, serv};
    char *buf[2] = {nbuf, sbuf};
    const char **out[2] = {n, s};
    for (int i = 0; i < 2; i++) {
        *out[i] = NULL;
        if (in[i] == NULL)
            continue;
        int err =
            wide ? ustr_in_w(buf[i], RSV_NAME_BUF, in[i]) : ustr_in(buf[i], RSV_NAME_BUF, in[i]);
        if (err != 0)
            return err;
        *out[i] = buf[i];
    }
    return 0;
}

/* "wsp_getaddrinfo(node=localhost, service=80) = 0, results=2": the names
 * are the local copies, the list is ours (only the pointer to it is read
 * back from caller memory). */
static void rsv_trace(const struct rsv_kind *k, const char *node, const char *serv, int err,
                      void **result)
{
    struct dbg_line l;
    dbg_begin(&l, k->name);
    dbg_put_str(&l, "node", node);
    dbg_put(&l, ", ");
    dbg_put_str(&l, "service", serv);
    dbg_result_code(&l, err);
    void *p = NULL;
    if (err == 0 && umem_read(&p, result, sizeof p) == 0) {
        int n = 0;
        for (; p != NULL; n++)
            memcpy(&p, (char *)p + k->next_off, sizeof p);
        dbg_put(&l, ", results=%d", n);
    }
    dbg_emit(&l);
}

static int rsv_entry(const void *node, const void *serv, const void *hints,
                     const struct rsv_kind *k, void **result)
{
    if (!su_running())
        return WSANOTINITIALISED;
    char nbuf[RSV_NAME_BUF], sbuf[RSV_NAME_BUF];
    const char *n, *s;
    int err = rsv_names(node, serv, k->wide, nbuf, sbuf, &n, &s);
    if (err != 0)
        return err;
    err = rsv_resolve(n, s, hints, k, result);
    if (dbg_on())
        rsv_trace(k, n, s, err, result);
    return err;
}

WSP_EXPORT INT WSAAPI wsp_getaddrinfo(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
                                      PADDRINFOA *ppResult)
{
    int err = rsv_entry(pNodeName, pServiceName, pHints, &rsv_a, (void **)ppResult);
    le_set(err);
    return err;
}

WSP_EXPORT INT WSAAPI GetAddrInfoW(PCWSTR pNodeName, PCWSTR pServiceName, const ADDRINFOW *pHints,
                                   PADDRINFOW *ppResult)
{
    int err = rsv_entry(pNodeName, pServiceName, pHints, &rsv_w, (void **)ppResult);
    le_set(err);
    return err;
}

#define RSV_NS_ALL 0
#define RSV_NS_DNS 12

/* The Ex forms: synchronous calls only; Windows also refuses a timeout on
 * them (WSAEINVAL). */
static int rsv_ex_entry(const void *name, const void *serv, DWORD ns, const void *hints,
                        const struct rsv_kind *k, void **result, const struct timeval *timeout,
                        const void *ov, const void *routine, const void *handle)
{
    if (ov != NULL || routine != NULL || handle != NULL || timeout != NULL ||
        (ns != RSV_NS_ALL && ns != RSV_NS_DNS))
        return su_running() ? WSAEINVAL : WSANOTINITIALISED;
    return rsv_entry(name, serv, hints, k, result);
}

WSP_EXPORT INT WSAAPI GetAddrInfoExW(PCWSTR pName, PCWSTR pServiceName, DWORD dwNameSpace,
                                     LPGUID lpNspId, const ADDRINFOEXW *hints,
                                     PADDRINFOEXW *ppResult, struct timeval *timeout,
                                     LPWSAOVERLAPPED lpOverlapped,
                                     LPLOOKUPSERVICE_COMPLETION_ROUTINE lpCompletionRoutine,
                                     LPHANDLE lpNameHandle)
{
    (void)lpNspId; /* one provider answers every namespace we accept */
    int err =
        rsv_ex_entry(pName, pServiceName, dwNameSpace, hints, &rsv_exw, (void **)ppResult, timeout,
                     lpOverlapped, (const void *)(uintptr_t)lpCompletionRoutine, lpNameHandle);
    le_set(err);
    return err;
}

WSP_EXPORT INT WSAAPI GetAddrInfoExA(PCSTR pName, PCSTR pServiceName, DWORD dwNameSpace,
                                     LPGUID lpNspId, const ADDRINFOEXA *hints,
                                     PADDRINFOEXA *ppResult, struct timeval *timeout,
                                     LPWSAOVERLAPPED lpOverlapped,
                                     LPLOOKUPSERVICE_COMPLETION_ROUTINE lpCompletionRoutine,
                                     LPHANDLE lpHandle)
{
    (void)lpNspId;
    int err =
        rsv_ex_entry(pName, pServiceName, dwNameSpace, hints, &rsv_exa, (void **)ppResult, timeout,
                     lpOverlapped, (const void *)(uintptr_t)lpCompletionRoutine, lpHandle);
    le_set(err);
    return err;
}

WSP_EXPORT void WSAAPI wsp_freeaddrinfo(PADDRINFOA pAddrInfo)
{
    rsv_free(pAddrInfo, &rsv_a);
}

WSP_EXPORT void WSAAPI FreeAddrInfoW(PADDRINFOW pAddrInfo)
{
    rsv_free(pAddrInfo, &rsv_w);
}

WSP_EXPORT void WSAAPI FreeAddrInfoExW(PADDRINFOEXW pAddrInfoEx)
{
    rsv_free(pAddrInfoEx, &rsv_exw);
}

WSP_EXPORT void WSAAPI FreeAddrInfoEx(PADDRINFOEXA pAddrInfoEx)
{
    rsv_free(pAddrInfoEx, &rsv_exa);
}
