/* SPDX-License-Identifier: MIT */
/* ws2 loader, startup and API dispatch, through libwsp and the test provider
 * modules of this folder (installed with WSCInstallProvider). The tests run in
 * order in one process: the catalog is process-wide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/ws2spi.h>

#define AF_FAKE AF_UNIX /* the fake provider's family (no built-in entry has it) */
#define AF_FAKE2 203    /* a second provider from the same module */
#define AF_NULLPROC 200
#define AF_FAILSTART 201
#define AF_MISSING 202
#define AF_REENTER 204

static GUID guid_fake = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 1}};
static GUID guid_fake2 = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 5}};
static GUID guid_nullproc = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 2}};
static GUID guid_failstart = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 3}};
static GUID guid_missing = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 4}};
static GUID guid_reenter = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 6}};

static int counter(const char *name)
{
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}

static void to_w(WCHAR *w, const char *s)
{
    while ((*w++ = (WCHAR)(unsigned char)*s++) != 0)
        ;
}

static WSAPROTOCOL_INFOW entry(int af, int type)
{
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.dwServiceFlags1 = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER;
    pi.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    pi.ProtocolChain.ChainLen = BASE_PROTOCOL;
    pi.iVersion = 2;
    pi.iAddressFamily = af;
    pi.iSocketType = type;
    pi.iProtocol = 0;
    to_w(pi.szProtocol, "ws2 test entry");
    return pi;
}

static int install(GUID *g, const char *module, int af, int type, int type2)
{
    WCHAR path[1024];
    to_w(path, module);
    WSAPROTOCOL_INFOW pis[2] = {entry(af, type), entry(af, type2)};
    int err = 0;
    int rc = WSCInstallProvider(g, path, pis, type2 ? 2 : 1, &err);
    return rc == 0 ? 0 : err;
}

static int setup_catalog(void **state)
{
    (void)state;
    assert_int_equal(install(&guid_fake, WS2TEST_MODULE_DIR "/ws2test_fake.so", AF_FAKE,
                             SOCK_STREAM, SOCK_DGRAM),
                     0);
    assert_int_equal(
        install(&guid_fake2, WS2TEST_MODULE_DIR "/ws2test_fake.so", AF_FAKE2, SOCK_STREAM, 0), 0);
    assert_int_equal(install(&guid_nullproc, WS2TEST_MODULE_DIR "/ws2test_nullproc.so", AF_NULLPROC,
                             SOCK_STREAM, 0),
                     0);
    assert_int_equal(install(&guid_failstart, WS2TEST_MODULE_DIR "/ws2test_failstart.so",
                             AF_FAILSTART, SOCK_STREAM, 0),
                     0);
    assert_int_equal(install(&guid_missing, WS2TEST_MODULE_DIR "/ws2test_missing.so", AF_MISSING,
                             SOCK_STREAM, 0),
                     0);
    assert_int_equal(install(&guid_reenter, WS2TEST_MODULE_DIR "/ws2test_reenter.so", AF_REENTER,
                             SOCK_STREAM, 0),
                     0);
    return 0;
}

static void start(void)
{
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void ws2_notinitialised_before_startup(void **state)
{
    (void)state;
    WSASetLastError(0);
    assert_true(WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_int_equal(closesocket(4), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_int_equal(wsp_send(4, "x", 1, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    DWORD len = 0;
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_int_equal(WSACleanup(), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
}

static void ws2_startup_versions(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(1, 1), &d), WSAVERNOTSUPPORTED);
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), NULL), WSAEFAULT);
    assert_int_equal(WSAStartup(MAKEWORD(2, 0), &d), 0);
    assert_int_equal(d.wVersion, MAKEWORD(2, 0));
    assert_int_equal(d.wHighVersion, MAKEWORD(2, 2));
    assert_non_null(strstr(d.szDescription, "wsp"));
    assert_int_equal(WSAStartup(MAKEWORD(3, 0), &d), 0);
    assert_int_equal(d.wVersion, MAKEWORD(2, 2));
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(WSACleanup(), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
}

static void ws2_startup_counting(void **state)
{
    (void)state;
    start();
    start();
    assert_int_equal(WSACleanup(), 0);
    /* one user left: still initialised */
    SOCKET s = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSACleanup(), 0);
    /* the last WSACleanup: not initialised any more */
    assert_true(WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_int_equal(WSACleanup(), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
}

static void ws2_loader_null_proc_entry(void **state)
{
    (void)state;
    start();
    int cleanups = counter("WS2TEST_CLEANUPS");
    assert_true(WSASocketW(AF_NULLPROC, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEINVALIDPROCTABLE);
    /* the refused provider was cleaned up before it was unloaded */
    assert_int_equal(counter("WS2TEST_CLEANUPS"), cleanups + 1);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(counter("WS2TEST_CLEANUPS"), cleanups + 1);
}

static void ws2_loader_startup_fails(void **state)
{
    (void)state;
    start();
    int startups = counter("WS2TEST_STARTUPS");
    assert_true(WSASocketW(AF_FAILSTART, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(counter("WS2TEST_STARTUPS"), startups + 1);
    /* not cached as loaded: asked again, it is tried again */
    assert_true(WSASocketW(AF_FAILSTART, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(counter("WS2TEST_STARTUPS"), startups + 2);
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_loader_missing_module(void **state)
{
    (void)state;
    start();
    assert_true(WSASocketW(AF_MISSING, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_loader_once_per_guid_and_cleanup_closes(void **state)
{
    (void)state;
    start();
    int startups = counter("WS2TEST_STARTUPS");
    int cleanups = counter("WS2TEST_CLEANUPS");
    int closes = counter("WS2TEST_CLOSES");
    SOCKET a = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    SOCKET b = WSASocketW(AF_FAKE, SOCK_DGRAM, 0, NULL, 0, 0);
    SOCKET c = wsp_socket(AF_FAKE, SOCK_STREAM, 0);
    assert_true(a != INVALID_SOCKET && b != INVALID_SOCKET && c != INVALID_SOCKET);
    assert_true(a != b && b != c && a != c);
    assert_int_equal(counter("WS2TEST_STARTUPS"), startups + 1); /* one provider, loaded once */
    assert_int_equal(closesocket(c), 0);
    assert_int_equal(counter("WS2TEST_CLOSES"), closes + 1);
    /* a and b are left open: the last WSACleanup closes them, then WSPCleanup */
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(counter("WS2TEST_CLOSES"), closes + 3);
    assert_int_equal(counter("WS2TEST_CLEANUPS"), cleanups + 1);
    /* a fresh start loads the provider again */
    start();
    SOCKET d = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(d != INVALID_SOCKET);
    assert_int_equal(counter("WS2TEST_STARTUPS"), startups + 2);
    /* handles of the previous session stay invalid */
    assert_int_equal(closesocket(a), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(WSACleanup(), 0);
}

static DWORD sent_so_far(SOCKET s)
{
    DWORD v = 0;
    int len = sizeof v;
    assert_int_equal(wsp_getsockopt(s, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&v, &len), 0);
    return v;
}

static void ws2_api_dispatch(void **state)
{
    (void)state;
    start();
    SOCKET s = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(wsp_send(s, "hello", 5, 0), 5);
    char b1[] = "ab", b2[] = "cde";
    WSABUF bufs[2] = {{2, b1}, {3, b2}};
    DWORD sent = 0;
    assert_int_equal(WSASend(s, bufs, 2, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 5);
    assert_int_equal(sent_so_far(s), 10);

    /* WSAEDISCON: an error for WSARecv, end-of-stream (0) for recv */
    char rb[8];
    WSABUF r = {sizeof rb, rb};
    DWORD got = 99, flags = 0;
    assert_int_equal(WSARecv(s, &r, 1, &got, &flags, NULL, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEDISCON);
    assert_int_equal(wsp_recv(s, rb, sizeof rb, 0), 0);

    assert_int_equal(WSASendDisconnect(s, NULL), 0);
    char data[] = "x";
    WSABUF disc = {1, data};
    assert_int_equal(WSASendDisconnect(s, &disc), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOPROTOOPT);
    assert_int_equal(wsp_bind(s, NULL, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);

    /* the platform's FIONREAD reaches the provider as Winsock's code */
    u_long v = 0;
    assert_int_equal(ioctlsocket(s, (long)FIONREAD, &v), 0);
    assert_int_equal(v, (u_long)WSP_FIONREAD);
    assert_int_equal(ioctlsocket(s, WSP_FIONREAD, &v), 0);
    assert_int_equal(v, (u_long)WSP_FIONREAD);

    /* select and WSAPoll go to the provider's WSPSelect */
    wsp_fd_set rs;
    WSP_FD_ZERO(&rs);
    WSP_FD_SET(s, &rs);
    struct timeval tv = {0, 0};
    assert_int_equal(wsp_select(0, &rs, NULL, NULL, &tv), 1);
    assert_true(WSP_FD_ISSET(s, &rs));
    assert_int_equal(wsp_select(0, NULL, NULL, NULL, &tv), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    WSAPOLLFD pfd[3] = {{s, POLLIN, 0}, {0x1234, POLLIN, 0}, {INVALID_SOCKET, POLLIN, 0}};
    assert_int_equal(WSAPoll(pfd, 3, -1), 2);
    assert_int_equal(pfd[0].revents, POLLIN);
    assert_int_equal(pfd[1].revents, POLLNVAL);
    assert_int_equal(pfd[2].revents, 0);

    /* a provider signals an event through the upcall */
    WSAEVENT ev = WSACreateEvent();
    assert_true(ev != WSA_INVALID_EVENT);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    assert_int_equal(WSAEventSelect(s, ev, FD_READ), 0);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    assert_true(WSACloseEvent(ev));

    /* address strings: A <-> W through the provider of the family */
    struct sockaddr sa = {.sa_family = AF_FAKE};
    char str[16];
    DWORD slen = 2;
    assert_int_equal(WSAAddressToStringA(&sa, sizeof sa, NULL, str, &slen), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_int_equal(slen, 5);
    slen = sizeof str;
    assert_int_equal(WSAAddressToStringA(&sa, sizeof sa, NULL, str, &slen), 0);
    assert_string_equal(str, "fake");
    assert_int_equal(slen, 5);
    assert_int_equal(WSAAddressToStringA(NULL, sizeof sa, NULL, str, &slen), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    struct sockaddr unknown = {.sa_family = 99};
    assert_int_equal(WSAAddressToStringA(&unknown, sizeof unknown, NULL, str, &slen), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL); /* no provider for the family */
    int alen = sizeof sa;
    assert_int_equal(WSAStringToAddressA("fake", AF_FAKE, NULL, &sa, &alen), 0);
    assert_int_equal(WSAStringToAddressA("other", AF_FAKE, NULL, &sa, &alen), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);

    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_api_select_mixed_providers(void **state)
{
    (void)state;
    start();
    SOCKET a = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    SOCKET b = WSASocketW(AF_FAKE2, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(a != INVALID_SOCKET && b != INVALID_SOCKET);
    wsp_fd_set rs;
    WSP_FD_ZERO(&rs);
    WSP_FD_SET(a, &rs);
    WSP_FD_SET(b, &rs);
    struct timeval tv = {0, 0};
    assert_int_equal(wsp_select(0, &rs, NULL, NULL, &tv), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    WSAPOLLFD pfd[2] = {{a, POLLOUT, 0}, {b, POLLOUT, 0}};
    assert_int_equal(WSAPoll(pfd, 2, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_api_stale_handle_after_reuse(void **state)
{
    (void)state;
    start();
    SOCKET s1 = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s1 != INVALID_SOCKET);
    assert_int_equal(s1 % 4, 0);
    assert_int_equal(closesocket(s1), 0);
    assert_int_equal(closesocket(s1), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    SOCKET s2 = WSASocketW(AF_FAKE, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s2 != INVALID_SOCKET);
    assert_true(s2 != s1);
    /* the stale handle never reaches the socket that reuses its slot */
    assert_int_equal(wsp_send(s1, "abc", 3, 0), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(WSASendDisconnect(s1, NULL), SOCKET_ERROR);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    assert_int_equal(sent_so_far(s2), 0);
    assert_int_equal(closesocket(s2), 0);
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_api_never_issued(void **state)
{
    (void)state;
    start();
    const SOCKET bad[] = {0, 4, 0x1234, (SOCKET)1 << 40, 3, INVALID_SOCKET};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(WSASendDisconnect(bad[i], NULL), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
        assert_int_equal(closesocket(bad[i]), SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
    }
    assert_int_equal(WSACleanup(), 0);
}

static void ws2_wsc_get_provider_path(void **state)
{
    (void)state;
    GUID g = {0x22222222, 2, 2, {2, 2, 2, 2, 2, 2, 2, 2}};
    /* a bare name is searched along WSP_PROVIDER_PATH */
    char *old = getenv("WSP_PROVIDER_PATH") ? strdup(getenv("WSP_PROVIDER_PATH")) : NULL;
    setenv("WSP_PROVIDER_PATH", "/nonexistent:" WS2TEST_MODULE_DIR, 1);
    assert_int_equal(install(&g, "ws2test_fake.so", AF_FAKE, SOCK_SEQPACKET, 0), 0);
    WCHAR path[1024];
    WCHAR want[1024];
    to_w(want, WS2TEST_MODULE_DIR "/ws2test_fake.so");
    int len = 3, err = 0;
    assert_int_equal(WSCGetProviderPath(&g, path, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(len, (int)strlen(WS2TEST_MODULE_DIR "/ws2test_fake.so") + 1);
    len = 1024;
    assert_int_equal(WSCGetProviderPath(&g, path, &len, &err), 0);
    assert_memory_equal(path, want, (size_t)len * sizeof(WCHAR));
    /* and loaded from there */
    start();
    SOCKET s = WSASocketW(AF_FAKE, SOCK_SEQPACKET, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    assert_int_equal(WSCGetProviderPath(&g, path, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    if (old) {
        setenv("WSP_PROVIDER_PATH", old, 1);
        free(old);
    } else {
        unsetenv("WSP_PROVIDER_PATH");
    }
}

static void ws2_wsc_install_errors(void **state)
{
    (void)state;
    int err = 0;
    /* a GUID already installed */
    assert_int_equal(install(&guid_fake, "x.so", 250, SOCK_STREAM, 0), WSAEINVAL);
    /* bad memory */
    void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(none != MAP_FAILED);
    WCHAR path[8];
    to_w(path, "x.so");
    WSAPROTOCOL_INFOW pi = entry(250, SOCK_STREAM);
    GUID g = {0x33333333, 3, 3, {3}};
    assert_int_equal(WSCInstallProvider(none, path, &pi, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCInstallProvider(&g, none, &pi, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCInstallProvider(&g, path, none, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 0, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    munmap(none, 4096);
    /* deinstall: unknown, then installed twice over */
    assert_int_equal(WSCDeinstallProvider(&g, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, &err), 0);
    assert_true(pi.dwCatalogEntryId > 1006); /* the assigned id is written back */
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    assert_int_equal(WSCInstallProvider(&g, path, &pi, 1, &err), 0);
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
}

/* Copy the module at src into dir/name with the given mode. */
static void copy_module(const char *src, const char *dir, const char *name, char *out, size_t cap)
{
    assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
    FILE *in = fopen(src, "rb");
    FILE *o = fopen(out, "wb");
    assert_non_null(in);
    assert_non_null(o);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, o), n);
    fclose(in);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(chmod(out, 0755), 0);
}

/* The loader refuses a module in a world-writable directory with
 * WSAEPROVIDERFAILEDINIT (Windows' code for a provider DLL that could not be
 * loaded); the same file in a safe directory loads. */
static void ws2_loader_refuses_unsafe_module(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/unsafe.XXXXXX", WS2TEST_MODULE_DIR);
    assert_non_null(mkdtemp(dir));
    char mod[1200];
    copy_module(WS2TEST_MODULE_DIR "/ws2test_fake.so", dir, "ws2test_fake.so", mod, sizeof mod);
    GUID g = {0x55555555, 5, 5, {5, 5}};
    assert_int_equal(install(&g, mod, AF_FAKE, SOCK_RDM, 0), 0);
    start();
    assert_int_equal(chmod(dir, 0777), 0);
    assert_true(WSASocketW(AF_FAKE, SOCK_RDM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(chmod(dir, 0755), 0);
    SOCKET s = WSASocketW(AF_FAKE, SOCK_RDM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    int err;
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    unlink(mod);
    rmdir(dir);
}

/* A relative directory in WSP_PROVIDER_PATH is skipped: the module found
 * there would be loaded by a path relative to whatever the working directory
 * is. Here the only copy of the module is in that relative directory. */
static void ws2_loader_relative_search_dir_skipped(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rel.XXXXXX", WS2TEST_MODULE_DIR);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    char mod[1200];
    copy_module(WS2TEST_MODULE_DIR "/ws2test_fake.so", dir, "ws2test_relcopy.so", mod, sizeof mod);
    char *old = getenv("WSP_PROVIDER_PATH") ? strdup(getenv("WSP_PROVIDER_PATH")) : NULL;
    assert_int_equal(chdir(WS2TEST_MODULE_DIR), 0);
    setenv("WSP_PROVIDER_PATH", strrchr(dir, '/') + 1, 1); /* "rel.XXXXXX" */
    GUID g = {0x55555555, 5, 5, {5, 6}};
    assert_int_equal(install(&g, "ws2test_relcopy.so", AF_FAKE, SOCK_RDM, 0), 0);
    start();
    assert_true(WSASocketW(AF_FAKE, SOCK_RDM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    /* the same directory spelled absolute is searched */
    setenv("WSP_PROVIDER_PATH", dir, 1);
    SOCKET s = WSASocketW(AF_FAKE, SOCK_RDM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    int err;
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    if (old) {
        setenv("WSP_PROVIDER_PATH", old, 1);
        free(old);
    } else {
        unsetenv("WSP_PROVIDER_PATH");
    }
    assert_int_equal(chdir("/"), 0);
    unlink(mod);
    rmdir(dir);
}

/* A provider that calls back into the API from WSPStartup or WSPCleanup must
 * get an error, not a deadlock on the loader (or startup) mutex its own
 * thread holds. The code is WSAEINPROGRESS: Windows documents it for these
 * calls as "the service provider is still processing a callback function".
 * The outer call then goes on with whatever WSPStartup returns. A regression
 * hangs: the alarm turns that into a failure (SIGALRM ends the test). */
#define REENTER_WATCHDOG_S 60

struct nested {
    long long rc;
    int err;
};

static struct nested nested_result(void)
{
    struct nested n = {99, -1};
    const char *v = getenv("WS2TEST_NESTED");
    assert_non_null(v);
    assert_int_equal(sscanf(v, "%lld %d", &n.rc, &n.err), 2);
    unsetenv("WS2TEST_NESTED");
    return n;
}

static void reenter_mode(const char *mode, int fail)
{
    setenv("WS2TEST_REENTER", mode, 1);
    if (fail)
        setenv("WS2TEST_REENTER_FAIL", "1", 1);
    else
        unsetenv("WS2TEST_REENTER_FAIL");
    unsetenv("WS2TEST_NESTED");
}

static void ws2_loader_reentrant_socket(void **state)
{
    (void)state;
    alarm(REENTER_WATCHDOG_S);
    start();
    /* the provider ignores the nested failure: the outer load succeeds */
    reenter_mode("startup:socket", 0);
    SOCKET s = WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0);
    struct nested n = nested_result();
    assert_int_equal(n.rc, -1);
    assert_int_equal(n.err, WSAEINPROGRESS);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSACleanup(), 0);

    /* the provider gives up: the outer call fails cleanly, nothing is cached */
    start();
    reenter_mode("startup:socket", 1);
    int startups = counter("WS2TEST_STARTUPS");
    assert_true(WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(nested_result().err, WSAEINPROGRESS);
    reenter_mode("", 0);
    s = WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(counter("WS2TEST_STARTUPS"), startups + 2);
    assert_int_equal(WSACleanup(), 0);
    alarm(0);
}

static void ws2_loader_reentrant_startup_cleanup(void **state)
{
    (void)state;
    alarm(REENTER_WATCHDOG_S);
    /* WSACleanup from WSPStartup: with one WSAStartup it would be the last one
     * and wait for the loader held by this very thread */
    start();
    reenter_mode("startup:wsacleanup", 0);
    SOCKET s = WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0);
    struct nested n = nested_result();
    assert_int_equal(n.rc, SOCKET_ERROR);
    assert_int_equal(n.err, WSAEINPROGRESS);
    assert_true(s != INVALID_SOCKET); /* the session was not ended under us */
    assert_int_equal(closesocket(s), 0);
    assert_int_equal(WSACleanup(), 0);

    /* WSAStartup from WSPStartup: refused, so the count stays the caller's */
    start();
    reenter_mode("startup:wsastartup", 0);
    s = WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0);
    n = nested_result();
    assert_int_equal(n.rc, WSAEINPROGRESS);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    assert_true(WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);

    /* WSAStartup from WSPCleanup, which the last WSACleanup runs with the
     * startup mutex held */
    start();
    reenter_mode("cleanup:wsastartup", 0);
    s = WSASocketW(AF_REENTER, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(nested_result().rc, WSAEINPROGRESS);
    assert_int_equal(WSACleanup(), SOCKET_ERROR); /* really ended */
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    reenter_mode("", 0);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws2_notinitialised_before_startup),
        cmocka_unit_test(ws2_startup_versions),
        cmocka_unit_test(ws2_startup_counting),
        cmocka_unit_test(ws2_loader_null_proc_entry),
        cmocka_unit_test(ws2_loader_startup_fails),
        cmocka_unit_test(ws2_loader_missing_module),
        cmocka_unit_test(ws2_loader_once_per_guid_and_cleanup_closes),
        cmocka_unit_test(ws2_api_dispatch),
        cmocka_unit_test(ws2_api_select_mixed_providers),
        cmocka_unit_test(ws2_api_stale_handle_after_reuse),
        cmocka_unit_test(ws2_api_never_issued),
        cmocka_unit_test(ws2_wsc_get_provider_path),
        cmocka_unit_test(ws2_wsc_install_errors),
        cmocka_unit_test(ws2_loader_refuses_unsafe_module),
        cmocka_unit_test(ws2_loader_relative_search_dir_skipped),
        cmocka_unit_test(ws2_loader_reentrant_socket),
        cmocka_unit_test(ws2_loader_reentrant_startup_cleanup),
    };
    return cmocka_run_group_tests(tests, setup_catalog, NULL);
}
