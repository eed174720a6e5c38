/* SPDX-License-Identifier: MIT */
/* Name resolution and address conversion in Windows' layouts, flags and error
 * codes, with the plain Winsock names (WSP_WINSOCK_NAMES). No test touches
 * DNS: numeric hosts, AI_NUMERICHOST, "localhost" (from /etc/hosts) and
 * services from /etc/services only. Error codes follow Microsoft's pages for
 * getaddrinfo, getnameinfo, inet_pton, InetNtopW, gethostname and the Winsock
 * 1.1 specification (blocking hooks), as cited at each test. */
#define WSP_WINSOCK_NAMES
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/mstcpip.h>
#include <wsp/winsock2.h>
#include <wsp/ws2tcpip.h>

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

static int teardown(void **state)
{
    (void)state;
    return WSACleanup();
}

static int have_http_service(void)
{
    return access("/etc/services", R_OK) == 0 && wsp_getservbyname("http", "tcp") != NULL;
}

static void names_gai_numeric_v4(void **state)
{
    (void)state;
    ADDRINFOA hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    assert_int_equal(getaddrinfo("127.0.0.1", "8080", &hints, &res), 0);
    assert_non_null(res);
    assert_int_equal(res->ai_family, AF_INET);
    assert_int_equal(res->ai_socktype, SOCK_STREAM);
    assert_int_equal(res->ai_addrlen, sizeof(SOCKADDR_IN));
    assert_null(res->ai_canonname);
    const SOCKADDR_IN *sin = (const SOCKADDR_IN *)(const void *)res->ai_addr;
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohs(sin->sin_port), 8080);
    assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
    assert_null(res->ai_next);
    freeaddrinfo(res);
}

static void names_gai_numeric_v6_passive(void **state)
{
    (void)state;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST;
    assert_int_equal(getaddrinfo("::1", "53", &hints, &res), 0);
    assert_int_equal(res->ai_family, AF_INET6);
    assert_int_equal(res->ai_addrlen, sizeof(SOCKADDR_IN6));
    const SOCKADDR_IN6 *s6 = (const SOCKADDR_IN6 *)(const void *)res->ai_addr;
    assert_true(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
    assert_int_equal(ntohs(s6->sin6_port), 53);
    freeaddrinfo(res);

    /* AI_PASSIVE and no host: the wildcard address */
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_PASSIVE;
    assert_int_equal(getaddrinfo(NULL, "7", &hints, &res), 0);
    assert_true(INETADDR_ISANY(res->ai_addr));
    assert_int_equal(ntohs(SS_PORT(res->ai_addr)), 7);
    freeaddrinfo(res);
}

/* Windows' layout: ai_canonname before ai_addr, both readable through the
 * Windows member names after the conversion. */
static void names_gai_canonname_layout(void **state)
{
    (void)state;
    _Static_assert(offsetof(ADDRINFOA, ai_canonname) < offsetof(ADDRINFOA, ai_addr),
                   "Windows' member order");
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    assert_int_equal(getaddrinfo("localhost", NULL, &hints, &res), 0);
    assert_non_null(res->ai_canonname);
    assert_string_equal(res->ai_canonname, "localhost");
    assert_int_equal(res->ai_addr->sa_family, AF_INET);
    assert_true(INETADDR_ISLOOPBACK(res->ai_addr));
    freeaddrinfo(res);
}

static void names_gai_service_name(void **state)
{
    (void)state;
    if (!have_http_service())
        skip();
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    assert_int_equal(getaddrinfo("127.0.0.1", "http", &hints, &res), 0);
    assert_int_equal(ntohs(INETADDR_PORT(res->ai_addr)), 80);
    freeaddrinfo(res);
}

/* getaddrinfo's error table (learn.microsoft.com, getaddrinfo "Return
 * value"): EAI_NONAME = WSAHOST_NOT_FOUND, EAI_SERVICE = WSATYPE_NOT_FOUND,
 * EAI_FAMILY = WSAEAFNOSUPPORT, EAI_BADFLAGS = WSAEINVAL, EAI_SOCKTYPE =
 * WSAESOCKTNOSUPPORT; hints members past ai_protocol not zero: WSANO_RECOVERY.
 * The code is returned and also stored for WSAGetLastError. */
static void expect_gai(const char *node, const char *serv, const ADDRINFOA *hints, int code)
{
    struct addrinfo *res = (struct addrinfo *)(uintptr_t)1;
    WSASetLastError(0);
    assert_int_equal(getaddrinfo(node, serv, hints, &res), code);
    assert_int_equal(WSAGetLastError(), code);
}

static void names_gai_errors(void **state)
{
    (void)state;
    assert_int_equal(EAI_NONAME, 11001);
    struct addrinfo h = {0};
    h.ai_flags = AI_NUMERICHOST;
    expect_gai("not-a-number.invalid", NULL, &h, WSAHOST_NOT_FOUND);
    expect_gai(NULL, NULL, NULL, EAI_NONAME);
    h.ai_family = AF_INET;
    h.ai_socktype = SOCK_STREAM;
    expect_gai("127.0.0.1", "no-such-service-wsp", &h, WSATYPE_NOT_FOUND);
    h.ai_family = 12345;
    expect_gai("127.0.0.1", "1", &h, WSAEAFNOSUPPORT);
    h.ai_family = AF_INET;
    h.ai_flags = 0x40000000;
    expect_gai("127.0.0.1", "1", &h, EAI_BADFLAGS);
    h.ai_flags = AI_NUMERICHOST;
    h.ai_socktype = 999;
    expect_gai("127.0.0.1", "1", &h, WSAESOCKTNOSUPPORT);
    h.ai_socktype = SOCK_STREAM;
    h.ai_addrlen = 16;
    expect_gai("127.0.0.1", "1", &h, WSANO_RECOVERY);
}

static void names_gai_not_initialised(void **state)
{
    (void)state;
    struct addrinfo *res = NULL;
    WSASetLastError(0);
    assert_int_equal(getaddrinfo("127.0.0.1", "1", NULL, &res), WSANOTINITIALISED);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_null(wsp_gethostbyname("localhost"));
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    /* pure conversions need no startup */
    assert_int_equal(inet_addr("127.0.0.1"), htonl(0x7f000001u));
}

static void names_gai_wide(void **state)
{
    (void)state;
    ADDRINFOW hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    assert_int_equal(GetAddrInfoW(u"localhost", u"8080", &hints, &res), 0);
    assert_non_null(res->ai_canonname);
    assert_memory_equal(res->ai_canonname, u"localhost", sizeof u"localhost");
    assert_int_equal(ntohs(INETADDR_PORT(res->ai_addr)), 8080);
    FreeAddrInfoW(res);

    ADDRINFOEXW exh = {0}, *exres = NULL;
    exh.ai_family = AF_INET6;
    exh.ai_flags = AI_NUMERICHOST;
    exh.ai_socktype = SOCK_STREAM;
    assert_int_equal(GetAddrInfoExW(u"::1", u"99", 0, NULL, &exh, &exres, NULL, NULL, NULL, NULL),
                     0);
    assert_int_equal(exres->ai_family, AF_INET6);
    assert_null(exres->ai_blob);
    assert_int_equal(ntohs(INETADDR_PORT(exres->ai_addr)), 99);
    FreeAddrInfoExW(exres);

    ADDRINFOEXA exah = {0}, *exares = NULL;
    exah.ai_family = AF_INET;
    exah.ai_flags = AI_CANONNAME;
    exah.ai_socktype = SOCK_STREAM;
    assert_int_equal(
        GetAddrInfoExA("localhost", "98", 0, NULL, &exah, &exares, NULL, NULL, NULL, NULL), 0);
    assert_string_equal(exares->ai_canonname, "localhost");
    assert_int_equal(ntohs(INETADDR_PORT(exares->ai_addr)), 98);
    FreeAddrInfoEx(exares);
    /* GetAddrInfoExW "Return value": a timeout on a synchronous call is WSAEINVAL */
    struct timeval tv = {1, 0};
    assert_int_equal(
        GetAddrInfoExA("localhost", "98", 0, NULL, &exah, &exares, &tv, NULL, NULL, NULL),
        WSAEINVAL);

    exh.ai_flags = AI_NUMERICHOST;
    assert_int_equal(
        GetAddrInfoExW(u"no.invalid", NULL, 0, NULL, &exh, &exres, NULL, NULL, NULL, NULL),
        WSAHOST_NOT_FOUND);
}

/* NI_* are Windows' values: NI_NUMERICHOST (2) is the system's
 * NI_NUMERICSERV, so a missed translation shows in the answers. */
static void names_getnameinfo(void **state)
{
    (void)state;
    SOCKADDR_IN sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(80);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof sin, host, sizeof host, serv, sizeof serv,
                                 NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(serv, "80");
    if (have_http_service()) {
        assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof sin, host, sizeof host, serv,
                                     sizeof serv, NI_NUMERICHOST),
                         0);
        assert_string_equal(host, "127.0.0.1");
        assert_string_equal(serv, "http");
    }
    /* getnameinfo "Return value": WSAEFAULT for too short an address or
     * buffer, WSAEAFNOSUPPORT for another family, EAI_NONAME when neither
     * name is asked for */
    char tiny[4];
    assert_int_equal(
        getnameinfo((SOCKADDR *)&sin, sizeof sin, tiny, sizeof tiny, NULL, 0, NI_NUMERICHOST),
        WSAEFAULT);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, 4, host, sizeof host, NULL, 0, 0), WSAEFAULT);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof sin, NULL, 0, NULL, 0, 0), EAI_NONAME);
    SOCKADDR_STORAGE ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_int_equal(getnameinfo((SOCKADDR *)&ss, sizeof ss, host, sizeof host, NULL, 0, 0),
                     WSAEAFNOSUPPORT);

    SOCKADDR_IN6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_addr = in6addr_loopback;
    s6.sin6_port = htons(443);
    WCHAR wh[NI_MAXHOST], ws[NI_MAXSERV];
    assert_int_equal(GetNameInfoW((SOCKADDR *)&s6, sizeof s6, wh, NI_MAXHOST, ws, NI_MAXSERV,
                                  NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_memory_equal(wh, u"::1", sizeof u"::1");
    assert_memory_equal(ws, u"443", sizeof u"443");
}

static void names_gai_strerror(void **state)
{
    (void)state;
    assert_string_equal(gai_strerrorA(WSAHOST_NOT_FOUND), wsp_strerror(WSAHOST_NOT_FOUND));
    const WCHAR *w = gai_strerrorW(EAI_SERVICE);
    assert_non_null(w);
    assert_true(w[0] != 0);
    assert_string_equal(gai_strerror(EAI_NONAME), "The host was not found.");
}

static void names_inet_addr_ntoa(void **state)
{
    (void)state;
    assert_int_equal(inet_addr("127.0.0.1"), htonl(0x7f000001u));
    assert_int_equal(inet_addr("10.1.2"), htonl(0x0a010002u)); /* BSD a.b.c form */
    assert_int_equal(inet_addr("300.1.1.1"), INADDR_NONE);
    assert_int_equal(inet_addr(""), INADDR_NONE);
    assert_int_equal(inet_addr("localhost"), INADDR_NONE);
    IN_ADDR a;
    a.s_addr = htonl(0xc0a80001u);
    assert_string_equal(inet_ntoa(a), "192.168.0.1");
    _Static_assert(sizeof(u_long) == 4, "Winsock's u_long under WSP_WINSOCK_NAMES");
}

static void names_inet_pton_ntop(void **state)
{
    (void)state;
    IN6_ADDR a6;
    IN_ADDR a4;
    assert_int_equal(inet_pton(AF_INET6, "::1", &a6), 1);
    assert_true(IN6_IS_ADDR_LOOPBACK(&a6));
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a4), 1);
    assert_int_equal(inet_pton(AF_INET, "1.2.3", &a4), 0); /* strict dotted decimal */
    /* inet_pton "Return value": -1 and WSAEAFNOSUPPORT for another family;
     * WSAEFAULT for a NULL string or buffer */
    WSASetLastError(0);
    assert_int_equal(inet_pton(12345, "1.2.3.4", &a4), -1);
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    assert_int_equal(inet_pton(AF_INET, NULL, &a4), -1);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);

    char text[INET6_ADDRSTRLEN];
    assert_ptr_equal(inet_ntop(AF_INET6, &a6, text, sizeof text), text);
    assert_string_equal(text, "::1");
    /* InetNtopW "Return value": ERROR_INVALID_PARAMETER for a buffer too small */
    char small[4];
    WSASetLastError(0);
    assert_null(inet_ntop(AF_INET, &a4, small, sizeof small));
    assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
    assert_null(inet_ntop(99, &a4, text, sizeof text));
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);

    assert_int_equal(InetPtonW(AF_INET, u"10.0.0.1", &a4), 1);
    assert_int_equal(ntohl(a4.s_addr), 0x0a000001u);
    WCHAR wt[INET6_ADDRSTRLEN];
    assert_ptr_equal(InetNtopW(AF_INET, &a4, wt, INET6_ADDRSTRLEN), wt);
    assert_memory_equal(wt, u"10.0.0.1", sizeof u"10.0.0.1");
    assert_null(InetNtopW(AF_INET, &a4, wt, 3));
    assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
}

static void names_hostent(void **state)
{
    (void)state;
    HOSTENT *h = gethostbyname("localhost");
    assert_non_null(h);
    assert_int_equal(h->h_addrtype, AF_INET);
    assert_int_equal(h->h_length, 4);
    IN_ADDR a;
    memcpy(&a, h->h_addr_list[0], sizeof a);
    assert_int_equal(ntohl(a.s_addr), 0x7f000001u);

    h = gethostbyname("127.0.0.1");
    assert_non_null(h);
    a.s_addr = htonl(0x7f000001u);
    h = gethostbyaddr((const char *)&a, sizeof a, AF_INET);
    assert_non_null(h);
    assert_non_null(h->h_name);
    /* gethostbyaddr "Return value": WSAEFAULT for len too small */
    assert_null(gethostbyaddr((const char *)&a, 2, AF_INET));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_null(gethostbyaddr((const char *)&a, 4, 12345));
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
}

static void names_gethostname(void **state)
{
    (void)state;
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    char ours[256];
    assert_int_equal(gethostname(ours, sizeof ours), 0);
    assert_string_equal(ours, u.nodename);
    WCHAR w[256];
    assert_int_equal(GetHostNameW(w, 256), 0);
    for (size_t i = 0; i <= strlen(ours); i++)
        assert_int_equal(w[i], (WCHAR)(unsigned char)ours[i]);
    /* gethostname "Return value": WSAEFAULT for a NULL name or namelen too small */
    assert_int_equal(gethostname(ours, 1), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(GetHostNameW(NULL, 256), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

static void names_serv_proto(void **state)
{
    (void)state;
    if (have_http_service()) {
        SERVENT *s = getservbyname("http", "tcp");
        assert_non_null(s);
        assert_int_equal(ntohs((u_short)s->s_port), 80);
        s = getservbyport(htons(80), "tcp");
        assert_non_null(s);
        assert_string_equal(s->s_name, "http");
    }
    WSASetLastError(0);
    assert_null(getservbyname("no-such-service-wsp", "tcp"));
    assert_int_equal(WSAGetLastError(), WSANO_DATA);
    if (access("/etc/protocols", R_OK) == 0) {
        PROTOENT *p = getprotobyname("tcp");
        assert_non_null(p);
        assert_int_equal(p->p_proto, IPPROTO_TCP);
        p = getprotobynumber(IPPROTO_UDP);
        assert_non_null(p);
        assert_string_equal(p->p_name, "udp");
    }
    assert_null(getprotobyname("no-such-protocol-wsp"));
    assert_int_equal(WSAGetLastError(), WSANO_DATA);
}

static void names_byte_order(void **state)
{
    (void)state;
    const unsigned char be[4] = {1, 2, 3, 4};
    u_long v = htonl(0x01020304u);
    assert_memory_equal(&v, be, 4);
    assert_int_equal(ntohl(v), 0x01020304u);
    u_short sv = htons(0x0102);
    assert_memory_equal(&sv, be, 2);
    assert_int_equal(ntohs(sv), 0x0102);

    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(s != INVALID_SOCKET);
    u_long out = 0;
    assert_int_equal(WSAHtonl(s, 0x01020304u, &out), 0);
    assert_memory_equal(&out, be, 4);
    assert_int_equal(WSANtohl(s, out, &out), 0);
    assert_int_equal(out, 0x01020304u);
    u_short sout = 0;
    assert_int_equal(WSAHtons(s, 0x0102, &sout), 0);
    assert_memory_equal(&sout, be, 2);
    assert_int_equal(WSANtohs(s, sout, &sout), 0);
    assert_int_equal(sout, 0x0102);
    /* WSAHtonl "Return value": WSAEFAULT for a NULL result pointer */
    assert_int_equal(WSAHtonl(s, 1, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSAHtons(s, 1, &sout), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

static LONG_PTR CALLBACK names_hook(void)
{
    return 0;
}

/* Winsock 2 has no pseudo-blocking ("Windows Sockets Compatibility
 * Issues"); the Winsock 1.1 answers for a thread with no blocking call. */
static void names_blocking_hooks(void **state)
{
    (void)state;
    assert_false(WSAIsBlocking());
    assert_int_equal(WSACancelBlockingCall(), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_null(WSASetBlockingHook((FARPROC)names_hook));
    assert_ptr_equal(WSASetBlockingHook(NULL), (FARPROC)names_hook);
    assert_int_equal(WSAUnhookBlockingHook(), 0);
}

static void names_address_string_w(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    INT len = sizeof ss;
    assert_int_equal(
        WSAStringToAddressW((LPWSTR)u"[::1]:8080", AF_INET6, NULL, (SOCKADDR *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(ntohs(SS_PORT(&ss)), 8080);
    WCHAR w[64];
    DWORD wl = 64;
    assert_int_equal(WSAAddressToStringW((SOCKADDR *)&ss, sizeof(SOCKADDR_IN6), NULL, w, &wl), 0);
    assert_memory_equal(w, u"[::1]:8080", sizeof u"[::1]:8080");
    assert_int_equal(wl, 11);
    wl = 3;
    assert_int_equal(WSAAddressToStringW((SOCKADDR *)&ss, sizeof(SOCKADDR_IN6), NULL, w, &wl),
                     SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(wl, 11);
}

static void names_mstcpip_helpers(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    memset(&ss, 0xff, sizeof ss);
    ss.ss_family = AF_INET6;
    INETADDR_SETLOOPBACK((PSOCKADDR)&ss);
    assert_true(INETADDR_ISLOOPBACK((PSOCKADDR)&ss));
    assert_int_equal(INETADDR_PORT((PSOCKADDR)&ss), 0);
    INETADDR_SETANY((PSOCKADDR)&ss);
    assert_true(INETADDR_ISANY((PSOCKADDR)&ss));
    assert_int_equal(ss.ss_family, AF_INET6);
    ss.ss_family = AF_INET;
    INETADDR_SETLOOPBACK((PSOCKADDR)&ss);
    assert_int_equal(((SOCKADDR_IN *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(SIO_KEEPALIVE_VALS, 0x98000004u);
    assert_int_equal(sizeof(struct tcp_keepalive), 12);
}

static void *unmapped_page(void)
{
    long sz = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal(munmap(p, (size_t)sz), 0);
    return p;
}

/* D4: bad caller memory is WSAEFAULT, never a crash (and nothing leaks). */
static void names_d4_bad_memory(void **state)
{
    (void)state;
    void *bad = unmapped_page();
    struct addrinfo *res = NULL;
    assert_int_equal(getaddrinfo("127.0.0.1", "1", (const ADDRINFOA *)bad, &res), WSAEFAULT);
    assert_int_equal(getaddrinfo((const char *)bad, "1", NULL, &res), WSAEFAULT);
    assert_int_equal(getaddrinfo("127.0.0.1", "1", NULL, (PADDRINFOA *)bad), WSAEFAULT);
    assert_int_equal(GetAddrInfoW((PCWSTR)bad, NULL, NULL, (PADDRINFOW *)&res), WSAEFAULT);
    assert_int_equal(getnameinfo((const SOCKADDR *)bad, sizeof(SOCKADDR_IN), NULL, 0, NULL, 0, 0),
                     WSAEFAULT);
    SOCKADDR_IN sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    assert_int_equal(
        getnameinfo((SOCKADDR *)&sin, sizeof sin, (char *)bad, 64, NULL, 0, NI_NUMERICHOST),
        WSAEFAULT);
    assert_int_equal(inet_pton(AF_INET, "1.2.3.4", bad), -1);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_null(inet_ntop(AF_INET, bad, (char *)&sin, sizeof sin));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(inet_addr((const char *)bad), INADDR_NONE);
    assert_null(gethostbyname((const char *)bad));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(gethostname((char *)bad, 256), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

int main(void)
{
    const struct CMUnitTest started[] = {
        cmocka_unit_test(names_gai_numeric_v4),
        cmocka_unit_test(names_gai_numeric_v6_passive),
        cmocka_unit_test(names_gai_canonname_layout),
        cmocka_unit_test(names_gai_service_name),
        cmocka_unit_test(names_gai_errors),
        cmocka_unit_test(names_gai_wide),
        cmocka_unit_test(names_getnameinfo),
        cmocka_unit_test(names_gai_strerror),
        cmocka_unit_test(names_inet_addr_ntoa),
        cmocka_unit_test(names_inet_pton_ntop),
        cmocka_unit_test(names_hostent),
        cmocka_unit_test(names_gethostname),
        cmocka_unit_test(names_serv_proto),
        cmocka_unit_test(names_byte_order),
        cmocka_unit_test(names_blocking_hooks),
        cmocka_unit_test(names_address_string_w),
        cmocka_unit_test(names_mstcpip_helpers),
        cmocka_unit_test(names_d4_bad_memory),
    };
    const struct CMUnitTest unstarted[] = {
        cmocka_unit_test(names_gai_not_initialised),
    };
    int failed = cmocka_run_group_tests_name("ws2_names", started, setup, teardown);
    failed += cmocka_run_group_tests_name("ws2_names_unstarted", unstarted, NULL, NULL);
    return failed;
}
