/* SPDX-License-Identifier: MIT */
/* The Winsock 1 databases: gethostbyname/-addr, gethostname, GetHostNameW,
 * getservbyname/-port, getprotobyname/-number. Results live in per-thread
 * buffers (Windows: "one structure per thread"), filled by the system's
 * reentrant calls; errors are WSA codes through WSAGetLastError. */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

#include <wsp/winsock2.h>

#include "common/umem.h"
#include "lasterror.h"
#include "resolve_map.h"
#include "startup.h"
#include "ustr.h"

#define NDB_NAME_MAX 1025 /* NI_MAXHOST */

struct ndb_host {
    struct hostent he;
    char buf[16384];
};
struct ndb_serv {
    struct servent se;
    char buf[4096];
};
struct ndb_proto {
    struct protoent pe;
    char buf[4096];
};
static _Thread_local struct ndb_host ndb_host;
static _Thread_local struct ndb_serv ndb_serv;
static _Thread_local struct ndb_proto ndb_proto;

/* Store err and return NULL: the failure tail of the pointer-returning calls. */
static void *ndb_fail(int err)
{
    le_set(err);
    return NULL;
}

/* The tail of a *_r call that returned rc with result *res: the result, or
 * NULL with WSANO_DATA for "no such entry" (Windows' answer for a name it
 * knows nothing of in the services/protocols databases) or WSANO_RECOVERY. */
static void *ndb_result(int rc, void *res)
{
    if (rc == 0 && res != NULL)
        return res;
    return ndb_fail(rc == 0 || rc == ENOENT ? WSANO_DATA : WSANO_RECOVERY);
}

WSP_EXPORT int WSAAPI wsp_gethostname(char *name, int namelen)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    char host[NDB_NAME_MAX];
    if (gethostname(host, sizeof host) != 0)
        return le_fail(WSANO_RECOVERY);
    host[sizeof host - 1] = 0;
    size_t need = strlen(host) + 1;
    /* Windows: WSAEFAULT for a NULL name or a namelen too small */
    if (name == NULL || namelen < 0 || need > (size_t)namelen || umem_write(name, host, need) != 0)
        return le_fail(WSAEFAULT);
    return 0;
}

WSP_EXPORT int WSAAPI GetHostNameW(PWSTR name, int namelen)
{
    if (!su_running())
        return le_fail(WSANOTINITIALISED);
    char host[NDB_NAME_MAX];
    if (gethostname(host, sizeof host) != 0)
        return le_fail(WSANO_RECOVERY);
    host[sizeof host - 1] = 0;
    if (name == NULL || namelen < 0 || ustr_out_w(name, (size_t)namelen, host) != 0)
        return le_fail(WSAEFAULT);
    return 0;
}

WSP_EXPORT struct hostent *WSAAPI wsp_gethostbyname(const char *name)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    char s[NDB_NAME_MAX];
    if (name == NULL) { /* Windows: the local host */
        if (gethostname(s, sizeof s) != 0)
            return ndb_fail(WSANO_RECOVERY);
        s[sizeof s - 1] = 0;
    } else {
        int err = ustr_in(s, sizeof s, name);
        if (err != 0) /* too long to be a host name: there is no such host */
            return ndb_fail(err == WSAEFAULT ? WSAEFAULT : WSAHOST_NOT_FOUND);
    }
    struct hostent *res = NULL;
    int herr = 0;
    int rc = gethostbyname_r(s, &ndb_host.he, ndb_host.buf, sizeof ndb_host.buf, &res, &herr);
    if (rc == 0 && res != NULL)
        return res;
    return ndb_fail(rc == ERANGE ? WSANO_RECOVERY : rsv_herr_to_wsa(herr));
}

WSP_EXPORT struct hostent *WSAAPI wsp_gethostbyaddr(const char *addr, int len, int type)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    size_t need = type == AF_INET ? 4 : type == AF_INET6 ? 16 : 0;
    if (need == 0)
        return ndb_fail(WSAEAFNOSUPPORT);
    unsigned char bin[16];
    /* Windows: WSAEFAULT for an addr outside the address space or len too small */
    if (addr == NULL || len < (int)need || umem_read(bin, addr, need) != 0)
        return ndb_fail(WSAEFAULT);
    struct hostent *res = NULL;
    int herr = 0;
    int rc = gethostbyaddr_r(bin, (socklen_t)need, type, &ndb_host.he, ndb_host.buf,
                             sizeof ndb_host.buf, &res, &herr);
    if (rc == 0 && res != NULL)
        return res;
    return ndb_fail(rc == ERANGE ? WSANO_RECOVERY : rsv_herr_to_wsa(herr));
}

/* name and optional proto copied in; 0 or a WSA code. */
static int ndb_names(const char *name, const char *proto, char *n, char *p, size_t cap,
                     const char **pp)
{
    int err = name == NULL ? WSAEFAULT : ustr_in(n, cap, name);
    if (err == 0 && proto != NULL)
        err = ustr_in(p, cap, proto);
    *pp = proto != NULL ? p : NULL;
    return err == WSAEINVAL ? WSANO_DATA : err; /* too long: no such entry */
}

WSP_EXPORT struct servent *WSAAPI wsp_getservbyname(const char *name, const char *proto)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    char n[256], p[256];
    const char *pp;
    int err = ndb_names(name, proto, n, p, sizeof n, &pp);
    if (err != 0)
        return ndb_fail(err);
    struct servent *res = NULL;
    int rc = getservbyname_r(n, pp, &ndb_serv.se, ndb_serv.buf, sizeof ndb_serv.buf, &res);
    return ndb_result(rc, res);
}

/* port in network byte order, as Windows takes it */
WSP_EXPORT struct servent *WSAAPI wsp_getservbyport(int port, const char *proto)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    char p[256];
    if (proto != NULL) {
        int err = ustr_in(p, sizeof p, proto);
        if (err != 0)
            return ndb_fail(err == WSAEINVAL ? WSANO_DATA : err);
    }
    struct servent *res = NULL;
    int rc = getservbyport_r(port, proto != NULL ? p : NULL, &ndb_serv.se, ndb_serv.buf,
                             sizeof ndb_serv.buf, &res);
    return ndb_result(rc, res);
}

WSP_EXPORT struct protoent *WSAAPI wsp_getprotobyname(const char *name)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    char n[256];
    const char *unused;
    int err = ndb_names(name, NULL, n, NULL, sizeof n, &unused);
    if (err != 0)
        return ndb_fail(err);
    struct protoent *res = NULL;
    int rc = getprotobyname_r(n, &ndb_proto.pe, ndb_proto.buf, sizeof ndb_proto.buf, &res);
    return ndb_result(rc, res);
}

WSP_EXPORT struct protoent *WSAAPI wsp_getprotobynumber(int number)
{
    if (!su_running())
        return ndb_fail(WSANOTINITIALISED);
    struct protoent *res = NULL;
    int rc = getprotobynumber_r(number, &ndb_proto.pe, ndb_proto.buf, sizeof ndb_proto.buf, &res);
    return ndb_result(rc, res);
}
