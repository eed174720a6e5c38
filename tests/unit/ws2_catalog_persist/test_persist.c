/* SPDX-License-Identifier: MIT */
/* The catalog file behind the WSC calls (docs/catalog.md): what one process
 * installs another sees at its next WSAStartup; concurrent installers all
 * keep their entries; a corrupt file is reported with file and line, never
 * overwritten, and leaves the built-in entries working; protocol chains are
 * checked; WSCWriteProviderOrder and WSCUpdateProvider persist.
 *
 * Error codes follow Windows' WSCInstallProvider / WSCDeinstallProvider /
 * WSCUpdateProvider / WSCWriteProviderOrder documentation: WSAEINVAL for a
 * bad argument (also a provider GUID already installed), WSASYSCALLFAILURE
 * when the catalog store cannot be used ("a system call that should never
 * fail has failed"); WSASocket's WSAEPROVIDERFAILEDINIT for a layered
 * provider that cannot operate. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/winsock2.h>
#include <wsp/ws2spi.h>
#include <wsp/wspext.h>

#define NBUILTIN 6
#define PER_CHILD 25

static char dir[256], file[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/wsp-catalog-test.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(file, sizeof file, "%s/sub/catalog.json", dir);
    /* never the user's real catalog: this test's own file */
    return setenv("WSP_CATALOG", file, 1);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static int fresh(void **state)
{
    (void)state;
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", file);
    unlink(file);
    unlink(lock);
    rmdir(file); /* a test may have made a directory of it */
    return 0;
}

static void to_w(WCHAR *w, const char *s)
{
    while ((*w++ = (WCHAR)(unsigned char)*s++) != 0)
        ;
}

static WSAPROTOCOL_INFOW entry(int af, int chain_len)
{
    WSAPROTOCOL_INFOW pi;
    memset(&pi, 0, sizeof pi);
    pi.ProtocolChain.ChainLen = chain_len;
    pi.iVersion = 2;
    pi.iAddressFamily = af;
    pi.iSocketType = SOCK_STREAM;
    pi.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    to_w(pi.szProtocol, "persist test");
    return pi;
}

static int install(GUID g, WSAPROTOCOL_INFOW *pi, DWORD n)
{
    WCHAR path[32];
    to_w(path, "/opt/wsp/x.so");
    int err = 0;
    return WSCInstallProvider(&g, path, pi, n, &err) == 0 ? 0 : err;
}

static int deinstall(GUID g)
{
    int err = 0;
    return WSCDeinstallProvider(&g, &err) == 0 ? 0 : err;
}

/* The whole catalog as WSCEnumProtocols shows it (the file as it is now). */
static int wsc_all(WSAPROTOCOL_INFOW *out, int cap)
{
    DWORD len = (DWORD)(cap * sizeof *out);
    int err = 0;
    int n = WSCEnumProtocols(NULL, out, &len, &err);
    assert_true(n >= 0);
    return n;
}

static int wsa_count(void)
{
    DWORD len = 0;
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
    return (int)(len / sizeof(WSAPROTOCOL_INFOW));
}

static GUID guid(unsigned a, unsigned b)
{
    GUID g = {0x5E5E0000u + a, (unsigned short)b, 0x77, {1, 2, 3, 4, 5, 6, 7, 8}};
    return g;
}

static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static void write_file(const char *path, const char *text)
{
    char d[320];
    snprintf(d, sizeof d, "%s/sub", dir);
    mkdir(d, 0755);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Installed in a child process: the parent sees it at its next WSAStartup,
 * not before (the running session keeps its catalog), and it is in the file. */
static void persist_other_process_sees_install_at_next_startup(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    assert_int_equal(wsa_count(), NBUILTIN);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        WSAPROTOCOL_INFOW pi = entry(90, BASE_PROTOCOL);
        _exit(install(guid(1, 1), &pi, 1) == 0 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(wsa_count(), NBUILTIN); /* this session: not yet */
    assert_int_equal(WSACleanup(), 0);
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    assert_int_equal(wsa_count(), NBUILTIN + 1);
    WSAPROTOCOL_INFOW all[NBUILTIN + 1];
    DWORD len = sizeof all;
    assert_int_equal(WSAEnumProtocolsW(NULL, all, &len), NBUILTIN + 1);
    assert_int_equal(all[NBUILTIN].iAddressFamily, 90);
    assert_int_equal(all[NBUILTIN].dwCatalogEntryId, 2001);
    char buf[65536];
    assert_true(read_file(file, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"address_family\": 90"));
    /* and removed again: the file goes back to the built-in state (no file) */
    assert_int_equal(deinstall(guid(1, 1)), 0);
    assert_int_equal(wsa_count(), NBUILTIN);
    assert_int_equal(access(file, F_OK), -1);
    assert_int_equal(WSACleanup(), 0);
}

/* Two processes installing PER_CHILD providers each at the same time: every
 * entry is there afterwards, with distinct ids (the lock serialises the
 * read-change-replace of each install). */
static void persist_concurrent_installers_keep_all_entries(void **state)
{
    (void)state;
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0) /* both start when the pipe closes */
                _exit(2);
            for (unsigned i = 0; i < PER_CHILD; i++) {
                WSAPROTOCOL_INFOW pi = entry(100 + k, BASE_PROTOCOL);
                if (install(guid(10 + (unsigned)k, i), &pi, 1) != 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    WSAPROTOCOL_INFOW all[NBUILTIN + 2 * PER_CHILD + 1];
    int n = wsc_all(all, NBUILTIN + 2 * PER_CHILD + 1);
    assert_int_equal(n, NBUILTIN + 2 * PER_CHILD);
    int per_af[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        if (all[i].iAddressFamily == 100 || all[i].iAddressFamily == 101)
            per_af[all[i].iAddressFamily - 100]++;
        for (int j = 0; j < i; j++)
            assert_int_not_equal(all[i].dwCatalogEntryId, all[j].dwCatalogEntryId);
    }
    assert_int_equal(per_af[0], PER_CHILD);
    assert_int_equal(per_af[1], PER_CHILD);
}

/* A corrupt file: the writers fail with WSASYSCALLFAILURE and leave it as it
 * is; WSAStartup still works with the built-in entries; wsp_catalog_status
 * names the file and the line. */
static void persist_corrupt_file_is_reported_and_kept(void **state)
{
    (void)state;
    static const char bad[] = "[\n  {\"entry_id\": 2001,\n   \"provider_id\": ,\n";
    write_file(file, bad);
    WSAPROTOCOL_INFOW pi = entry(91, BASE_PROTOCOL);
    assert_int_equal(install(guid(2, 1), &pi, 1), WSASYSCALLFAILURE);
    assert_int_equal(deinstall(guid(2, 1)), WSASYSCALLFAILURE);
    DWORD order[NBUILTIN] = {1001, 1002, 1003, 1004, 1005, 1006};
    assert_int_equal(WSCWriteProviderOrder(order, NBUILTIN), WSASYSCALLFAILURE);
    char msg[512];
    assert_int_equal(wsp_catalog_status(msg, sizeof msg), WSASYSCALLFAILURE);
    char want[400];
    snprintf(want, sizeof want, "%s:3: ", file);
    assert_non_null(strstr(msg, want));

    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    assert_int_equal(wsa_count(), NBUILTIN);
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s != INVALID_SOCKET); /* the built-in tcp entry still works */
    closesocket(s);
    assert_int_equal(WSACleanup(), 0);

    char now[256];
    assert_int_equal(read_file(file, now, sizeof now), (int)strlen(bad));
    assert_string_equal(now, bad); /* never overwritten */

    /* a fixed file clears the status */
    unlink(file);
    assert_int_equal(install(guid(2, 1), &pi, 1), 0);
    assert_int_equal(wsp_catalog_status(msg, sizeof msg), 0);
    assert_string_equal(msg, "");
}

/* Not a file at all (a directory where the file should be): the same. */
static void persist_unreadable_file_is_reported(void **state)
{
    (void)state;
    char d[320];
    snprintf(d, sizeof d, "%s/sub", dir);
    mkdir(d, 0755);
    assert_int_equal(mkdir(file, 0755), 0);
    WSAPROTOCOL_INFOW pi = entry(92, BASE_PROTOCOL);
    assert_int_equal(install(guid(3, 1), &pi, 1), WSASYSCALLFAILURE);
    char msg[512];
    assert_int_equal(wsp_catalog_status(msg, sizeof msg), WSASYSCALLFAILURE);
    assert_non_null(strstr(msg, file));
    WSAPROTOCOL_INFOW all[NBUILTIN + 1];
    assert_int_equal(wsc_all(all, NBUILTIN + 1), NBUILTIN);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

/* Base, layered entry, chain: installed and checked as Windows does. */
static void persist_chains_are_checked(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW base = entry(93, BASE_PROTOCOL);
    assert_int_equal(install(guid(4, 1), &base, 1), 0);
    WSAPROTOCOL_INFOW layer = entry(93, LAYERED_PROTOCOL);
    assert_int_equal(install(guid(4, 2), &layer, 1), 0);
    DWORD b = base.dwCatalogEntryId, l = layer.dwCatalogEntryId;
    assert_int_equal(b, 2001);
    assert_int_equal(l, 2002);

    WSAPROTOCOL_INFOW chain = entry(93, 2);
    chain.ProtocolChain.ChainEntries[0] = l;
    chain.ProtocolChain.ChainEntries[1] = b;
    /* a chain naming an unknown entry, or with a base entry on top */
    chain.ProtocolChain.ChainEntries[1] = 2999;
    assert_int_equal(install(guid(4, 3), &chain, 1), WSAEINVAL);
    chain.ProtocolChain.ChainEntries[0] = b;
    chain.ProtocolChain.ChainEntries[1] = b;
    assert_int_equal(install(guid(4, 3), &chain, 1), WSAEINVAL);
    /* longer than MAX_PROTOCOL_CHAIN */
    WSAPROTOCOL_INFOW longer = entry(93, MAX_PROTOCOL_CHAIN + 1);
    assert_int_equal(install(guid(4, 3), &longer, 1), WSAEINVAL);
    /* a GUID already installed */
    WSAPROTOCOL_INFOW dup = entry(94, BASE_PROTOCOL);
    assert_int_equal(install(guid(4, 1), &dup, 1), WSAEINVAL);
    WSAPROTOCOL_INFOW all[NBUILTIN + 4];
    assert_int_equal(wsc_all(all, NBUILTIN + 4), NBUILTIN + 2); /* nothing changed */

    chain.ProtocolChain.ChainEntries[0] = l;
    chain.ProtocolChain.ChainEntries[1] = b;
    assert_int_equal(install(guid(4, 3), &chain, 1), 0);
    DWORD c = chain.dwCatalogEntryId;
    assert_int_equal(c, 2003);

    /* the base and the layered entry are used by the chain: refused */
    assert_int_equal(deinstall(guid(4, 1)), WSAEINVAL);
    assert_int_equal(deinstall(guid(4, 2)), WSAEINVAL);
    /* so are the built-ins, always */
    GUID tcp = all[0].ProviderId;
    assert_int_equal(deinstall(tcp), WSAEINVAL);
    assert_int_equal(wsc_all(all, NBUILTIN + 4), NBUILTIN + 3);

    /* WSAEnumProtocols lists the chain before its base once the order says so */
    DWORD order[NBUILTIN + 3] = {1001, 1002, 1003, 1004, 1005, 1006, c, b, l};
    assert_int_equal(WSCWriteProviderOrder(order, NBUILTIN + 2), WSAEINVAL); /* not all */
    order[NBUILTIN + 1] = c;
    assert_int_equal(WSCWriteProviderOrder(order, NBUILTIN + 3), WSAEINVAL); /* twice */
    order[NBUILTIN + 1] = b;
    assert_int_equal(WSCWriteProviderOrder(order, NBUILTIN + 3), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    WSAPROTOCOL_INFOW pub[NBUILTIN + 3];
    DWORD len = sizeof pub;
    assert_int_equal(WSAEnumProtocolsW(NULL, pub, &len), NBUILTIN + 2); /* layered hidden */
    assert_int_equal(pub[NBUILTIN].dwCatalogEntryId, c);
    assert_int_equal(pub[NBUILTIN + 1].dwCatalogEntryId, b);
    /* a socket through the chain starts its top layer's module, which does
     * not exist here (/opt/wsp/x.so): a clean failure */
    SOCKET s = WSASocketW(93, SOCK_STREAM, 0, NULL, 0, 0);
    assert_true(s == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &pub[NBUILTIN], 0,
                   0);
    assert_true(s == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
    assert_int_equal(WSACleanup(), 0);

    /* top down they go */
    assert_int_equal(deinstall(guid(4, 3)), 0);
    assert_int_equal(deinstall(guid(4, 2)), 0);
    assert_int_equal(deinstall(guid(4, 1)), 0);
    assert_int_equal(wsc_all(all, NBUILTIN + 4), NBUILTIN);
}

/* WSCUpdateProvider: new contents, same ids; the count must match. */
static void persist_update_provider(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW pi[2] = {entry(95, BASE_PROTOCOL), entry(96, BASE_PROTOCOL)};
    assert_int_equal(install(guid(5, 1), pi, 2), 0);
    WSAPROTOCOL_INFOW up[2] = {entry(97, BASE_PROTOCOL), entry(98, BASE_PROTOCOL)};
    WCHAR path[32];
    to_w(path, "/opt/wsp/y.so");
    GUID g = guid(5, 1);
    int err = 0;
    assert_int_equal(WSCUpdateProvider(&g, path, up, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    GUID unknown = guid(5, 2);
    assert_int_equal(WSCUpdateProvider(&unknown, path, up, 2, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(WSCUpdateProvider(&g, path, up, 2, &err), 0);
    WSAPROTOCOL_INFOW all[NBUILTIN + 2];
    assert_int_equal(wsc_all(all, NBUILTIN + 2), NBUILTIN + 2);
    assert_int_equal(all[NBUILTIN].iAddressFamily, 97);
    assert_int_equal(all[NBUILTIN].dwCatalogEntryId, 2001);
    assert_int_equal(all[NBUILTIN + 1].iAddressFamily, 98);
    assert_int_equal(all[NBUILTIN + 1].dwCatalogEntryId, 2002);
    WCHAR got[64];
    int glen = 64;
    assert_int_equal(WSCGetProviderPath(&g, got, &glen, &err), 0);
    assert_int_equal(got[9], 'y');
}

/* Where the file is: WSP_CATALOG, else XDG_CONFIG_HOME (absolute only), else
 * HOME/.config, else the system file (docs/catalog.md). */
static void persist_path_order(void **state)
{
    (void)state;
    char got[512];
    assert_int_equal(wsp_catalog_path(got, sizeof got), 0);
    assert_string_equal(got, file);
    unsetenv("WSP_CATALOG");
    setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
    setenv("HOME", "/nonexistent-home", 1);
    assert_int_equal(wsp_catalog_path(got, sizeof got), 0);
    assert_string_equal(got, "/nonexistent-xdg/wsp/catalog.json");
    setenv("XDG_CONFIG_HOME", "relative/xdg", 1); /* the XDG spec: ignored */
    assert_int_equal(wsp_catalog_path(got, sizeof got), 0);
    assert_string_equal(got, "/nonexistent-home/.config/wsp/catalog.json");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    assert_int_equal(wsp_catalog_path(got, sizeof got), 0);
    assert_true(got[0] == '/');
    const char *tail = "/wsp/catalog.json";
    assert_true(strlen(got) > strlen(tail));
    assert_string_equal(got + strlen(got) - strlen(tail), tail);
    assert_int_equal(wsp_catalog_path(got, 8), -1); /* too small */
    setenv("WSP_CATALOG", file, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(persist_other_process_sees_install_at_next_startup, fresh),
        cmocka_unit_test_setup(persist_concurrent_installers_keep_all_entries, fresh),
        cmocka_unit_test_setup(persist_corrupt_file_is_reported_and_kept, fresh),
        cmocka_unit_test_setup(persist_unreadable_file_is_reported, fresh),
        cmocka_unit_test_setup(persist_chains_are_checked, fresh),
        cmocka_unit_test_setup(persist_update_provider, fresh),
        cmocka_unit_test(persist_path_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
