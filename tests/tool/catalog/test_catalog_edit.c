/* SPDX-License-Identifier: MIT */
/* `wsp catalog install|remove|order|reset` on a catalog file of the test's
 * own (WSP_CATALOG in a temporary directory): each prints what it changed,
 * bad input is exit 2 and changes nothing, a corrupt file is reported with
 * file and line, and what `wsp catalog --json` prints reads back the same. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsp/winsock2.h>

#include "tool/lib/json.h"
#include "tool/lib/spawn.h"

static char dir[256], file[300], module[1024], notprov[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/wsp-tool-catalog.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(file, sizeof file, "%s/catalog.json", dir);
    const char *mods = getenv("WSP_PROVIDER_PATH");
    if (mods == NULL)
        return -1;
    snprintf(module, sizeof module, "%s/wsp_tcp.so", mods);
    /* libwsp itself: a shared object without WSPStartup */
    Dl_info info;
    if (dladdr((void *)&WSAStartup, &info) == 0 || info.dli_fname == NULL)
        return -1;
    snprintf(notprov, sizeof notprov, "%s", info.dli_fname);
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
    setenv("WSP_CATALOG", file, 1);
    unlink(file);
    return 0;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Runs wsp; returns the exit status, output in *p. */
static int wsp(struct proc *p, const char *const args[])
{
    return proc_run(p, args);
}

static struct json *catalog_json(void)
{
    const char *args[] = {"catalog", "--json", NULL};
    struct proc p;
    assert_int_equal(wsp(&p, args), 0);
    struct json *root = json_parse(p.out_buf.data);
    if (root == NULL)
        fail_msg("not JSON:\n%s", p.out_buf.data);
    proc_free(&p);
    return root;
}

static unsigned id_at(const struct json *root, size_t i)
{
    return (unsigned)json_get(root->items[i], "entry_id")->number;
}

static const char info_json[] =
    "[\n"
    "  {\"description\": \"my tcp\", \"address_family\": 2, \"socket_type\": 1, \"protocol\": 6,\n"
    "   \"provider_flags\": 8, \"service_flags1\": 102},\n"
    "  {\"description\": \"my udp\", \"address_family\": 2, \"socket_type\": 2, \"protocol\": 17}\n"
    "]\n";

static void install_info(void)
{
    char info[320];
    snprintf(info, sizeof info, "%s/info.json", dir);
    put(info, info_json);
    const char *args[] = {"catalog", "install", module, "--info", info, NULL};
    struct proc p;
    assert_int_equal(wsp(&p, args), 0);
    assert_non_null(
        strstr(p.out_buf.data, "installed entry 2001 (Base Service Provider): \"my tcp\""));
    assert_non_null(
        strstr(p.out_buf.data, "installed entry 2002 (Base Service Provider): \"my udp\""));
    proc_free(&p);
}

static void tool_catalog_install_info_and_remove(void **state)
{
    (void)state;
    install_info();
    struct json *root = catalog_json();
    assert_int_equal((int)root->count, 8);
    assert_int_equal(id_at(root, 6), 2001);
    const struct json *e = root->items[6];
    assert_string_equal(json_get(e, "description")->string, "my tcp");
    assert_string_equal(json_get(e, "provider_path")->string, module);
    assert_int_equal((int)json_get(e, "service_flags1")->number, 102);
    json_free(root);

    const char *rm[] = {"catalog", "remove", "2002", NULL};
    struct proc p;
    assert_int_equal(wsp(&p, rm), 0);
    /* the whole provider goes: both of its entries */
    assert_non_null(strstr(p.out_buf.data, "removed entry 2001"));
    assert_non_null(strstr(p.out_buf.data, "removed entry 2002"));
    proc_free(&p);
    assert_int_equal(access(file, F_OK), -1); /* back to the built-ins: no file */
}

/* What one prints another reads: --json of a catalog, used as the catalog
 * file itself, prints the very same. */
static void tool_catalog_json_round_trip(void **state)
{
    (void)state;
    install_info();
    const char *args[] = {"catalog", "--json", NULL};
    struct proc a, b;
    assert_int_equal(wsp(&a, args), 0);
    char copy[320];
    snprintf(copy, sizeof copy, "%s/copy.json", dir);
    put(copy, a.out_buf.data);
    setenv("WSP_CATALOG", copy, 1);
    assert_int_equal(wsp(&b, args), 0);
    assert_string_equal(a.out_buf.data, b.out_buf.data);
    proc_free(&a);
    proc_free(&b);
    unlink(copy);
}

static void tool_catalog_layer_order_reset(void **state)
{
    (void)state;
    install_info();
    const char *layer[] = {"catalog",   "install", module,  "--layer", "--over",
                           "2001,1002", "--name",  "trace", NULL};
    struct proc p;
    assert_int_equal(wsp(&p, layer), 0);
    assert_non_null(strstr(p.out_buf.data, "installed entry 2003 (Layered Service Provider)"));
    assert_non_null(strstr(p.out_buf.data, "installed entry 2004 (Layered Chain Entry)"));
    assert_non_null(strstr(p.out_buf.data, "installed entry 2005 (Layered Chain Entry)"));
    proc_free(&p);
    struct json *root = catalog_json();
    assert_int_equal((int)root->count, 11);
    const struct json *chain = json_get(root->items[9], "protocol_chain");
    assert_int_equal((int)chain->count, 2);
    assert_int_equal((unsigned)chain->items[0]->number, 2003);
    assert_int_equal((unsigned)chain->items[1]->number, 2001);
    json_free(root);

    /* a base entry under a chain is not removed: exit 2, nothing changes */
    char *before = slurp(file);
    const char *rm[] = {"catalog", "remove", "2001", NULL};
    assert_int_equal(wsp(&p, rm), 2);
    assert_non_null(strstr(p.err_buf.data, "used by chain entry"));
    proc_free(&p);
    char *after = slurp(file);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* chains first: WSAEnumProtocols order, and so the listing */
    const char *order[] = {"catalog", "order", "2004", "2005", NULL};
    assert_int_equal(wsp(&p, order), 0);
    assert_non_null(strstr(p.out_buf.data, "order: 2004 2005 1001"));
    proc_free(&p);
    root = catalog_json();
    assert_int_equal(id_at(root, 0), 2004);
    assert_int_equal(id_at(root, 1), 2005);
    json_free(root);

    const char *reset[] = {"catalog", "reset", NULL};
    assert_int_equal(wsp(&p, reset), 0);
    assert_non_null(strstr(p.out_buf.data, "removed entry 2004"));
    assert_non_null(strstr(p.out_buf.data, "order: 1001 1002 1003 1004 1005 1006"));
    proc_free(&p);
    root = catalog_json();
    assert_int_equal((int)root->count, 6);
    json_free(root);
    assert_int_equal(access(file, F_OK), -1);
}

/* Bad input: exit 2, a message naming the problem, no catalog file made. */
static void tool_catalog_bad_input(void **state)
{
    (void)state;
    char info[320], bad[320];
    snprintf(info, sizeof info, "%s/info.json", dir);
    put(info, info_json);
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    put(bad, "[\n  {\"address_family\": 2,\n   \"socket_type\": 1 \"protocol\": 6}\n]\n");
    char missing[1100];
    snprintf(missing, sizeof missing, "%s/nothing-here.so", dir);
    char badline[400];
    snprintf(badline, sizeof badline, "%s:3: ", bad);
    const struct {
        const char *args[10];
        const char *says;
    } cases[] = {
        {{"catalog", "install", "lib/x.so", "--info", info}, "absolute path or a bare file name"},
        {{"catalog", "install", missing, "--info", info}, "cannot be loaded"},
        {{"catalog", "install", notprov, "--info", info}, "does not export WSPStartup"},
        {{"catalog", "install", module, "--info", bad}, badline},
        {{"catalog", "install", module, "--layer", "--over", "4242"}, "not a base entry"},
        {{"catalog", "install", module}, "use 'install MODULE"},
        {{"catalog", "remove", "1001"}, "built-in entries cannot be removed"},
        {{"catalog", "remove", "4242"}, "neither an entry id"},
        {{"catalog", "order", "1001", "1001"}, "given twice"},
        {{"catalog", "order", "77"}, "not an entry id"},
        {{"catalog", "reset", "now"}, "no arguments"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct proc p;
        int rc = wsp(&p, cases[i].args);
        if (rc != 2 || strstr(p.err_buf.data, cases[i].says) == NULL)
            fail_msg("case %zu: exit %d, stderr: %s", i, rc, p.err_buf.data);
        proc_free(&p);
        assert_int_equal(access(file, F_OK), -1);
    }
}

/* A corrupt catalog: `wsp catalog` says file and line, still lists the
 * built-ins, exits 1; an install fails and leaves the file as it was. */
static void tool_catalog_corrupt_file(void **state)
{
    (void)state;
    static const char corrupt[] = "[\n  {\"entry_id\": 2001,\n   \"provider_id\": ,\n";
    put(file, corrupt);
    char where[400];
    snprintf(where, sizeof where, "%s:3: ", file);
    const char *list[] = {"catalog", NULL};
    struct proc p;
    assert_int_equal(wsp(&p, list), 1);
    if (strstr(p.err_buf.data, where) == NULL)
        fail_msg("stderr: %s", p.err_buf.data);
    assert_non_null(strstr(p.out_buf.data, "1006 (ITOT)") ? p.out_buf.data : NULL);
    proc_free(&p);
    char info[320];
    snprintf(info, sizeof info, "%s/info.json", dir);
    put(info, info_json);
    const char *inst[] = {"catalog", "install", module, "--info", info, NULL};
    assert_int_equal(wsp(&p, inst), 1);
    assert_non_null(strstr(p.err_buf.data, where));
    proc_free(&p);
    char *now = slurp(file);
    assert_string_equal(now, corrupt);
    free(now);
    unlink(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(tool_catalog_install_info_and_remove, fresh),
        cmocka_unit_test_setup(tool_catalog_json_round_trip, fresh),
        cmocka_unit_test_setup(tool_catalog_layer_order_reset, fresh),
        cmocka_unit_test_setup(tool_catalog_bad_input, fresh),
        cmocka_unit_test_setup(tool_catalog_corrupt_file, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
