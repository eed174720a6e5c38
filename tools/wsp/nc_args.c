/* SPDX-License-Identifier: MIT */
/* Option parsing for listen/connect: one option table, each option tagged with
 * the roles that accept it, so --help and the parser cannot disagree. */
#include "nc_args.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "report.h"

enum {
    OPT_PROTO = 256,
    OPT_CLASS,
    OPT_ACCEPT,
    OPT_REJECT,
    OPT_REJECT_DATA,
    OPT_CONNECT,
    OPT_DISCONNECT,
    OPT_TPDU_SIZE,
    OPT_CALLING_TSAP,
    OPT_CALLED_TSAP,
    OPT_TIMEOUT,
    OPT_IDLE,
    OPT_RECV_ONLY,
    OPT_SEND_ONLY,
    OPT_VERSION,
    OPT_HELP
};

#define ROLE_L (1u << NC_ROLE_LISTEN)
#define ROLE_C (1u << NC_ROLE_CONNECT)

static const struct {
    struct option opt;
    unsigned roles;
    const char *arg_help;
    const char *help;
} nc_options[] = {
    {{"proto", required_argument, NULL, OPT_PROTO},
     ROLE_L | ROLE_C,
     "tcp|itot",
     "provider to use (default itot)"},
    {{"class", required_argument, NULL, OPT_CLASS},
     ROLE_L | ROLE_C,
     "0|2",
     "itot: use only this ISO class (default: class 2, class 0 as alternative)"},
    {{"accept-data", required_argument, NULL, OPT_ACCEPT},
     ROLE_L,
     "TEXT|@FILE",
     "connect data sent back when accepting (itot: at most 32 octets)"},
    {{"reject", required_argument, NULL, OPT_REJECT},
     ROLE_L,
     "REASON",
     "refuse the connection; itot: with this DR reason (name or number, below)"},
    {{"reject-data", required_argument, NULL, OPT_REJECT_DATA},
     ROLE_L,
     "TEXT|@FILE",
     "user data of the refusal (with --reject; itot: at most 32 octets)"},
    {{"connect-data", required_argument, NULL, OPT_CONNECT},
     ROLE_C,
     "TEXT|@FILE",
     "connect data sent with the connect request (itot: at most 32 octets)"},
    {{"disconnect-data", required_argument, NULL, OPT_DISCONNECT},
     ROLE_L | ROLE_C,
     "TEXT|@FILE",
     "data sent by WSASendDisconnect at end of stdin (itot: at most 64)"},
    {{"tpdu-size", required_argument, NULL, OPT_TPDU_SIZE},
     ROLE_L | ROLE_C,
     "N",
     "itot: largest TPDU to propose/accept, 128..65531 (above 8192 a class 0 CR carries F0)"},
    {{"calling-tsap", required_argument, NULL, OPT_CALLING_TSAP},
     ROLE_L | ROLE_C,
     "0xHEX|TEXT",
     "itot: own TSAP selector (listen: the one it answers for), at most 32 octets"},
    {{"called-tsap", required_argument, NULL, OPT_CALLED_TSAP},
     ROLE_C,
     "0xHEX|TEXT",
     "itot: the peer's TSAP selector, at most 32 octets"},
    {{"timeout", required_argument, NULL, OPT_TIMEOUT},
     ROLE_L | ROLE_C,
     "MS",
     "itot: wait at most MS for the CC (exit 10) and for the release (0: no limit)"},
    {{"quit", required_argument, NULL, 'q'},
     ROLE_L | ROLE_C,
     "SECS",
     "-q: disconnect SECS after end of input (default: wait for the peer to disconnect)"},
    {{"idle-timeout", required_argument, NULL, OPT_IDLE},
     ROLE_L | ROLE_C,
     "SECS",
     "after end of input, disconnect once nothing arrived for SECS"},
    {{"recv-only", no_argument, NULL, OPT_RECV_ONLY},
     ROLE_L | ROLE_C,
     NULL,
     "never read stdin; receive until the peer disconnects (or -q)"},
    {{"send-only", no_argument, NULL, OPT_SEND_ONLY},
     ROLE_L | ROLE_C,
     NULL,
     "discard what the peer sends; disconnect at end of input"},
    {{"keep-listening", no_argument, NULL, 'k'},
     ROLE_L,
     NULL,
     "-k: after a connection ends, accept the next (one at a time)"},
    {{"verbose", no_argument, NULL, 'v'},
     ROLE_L | ROLE_C,
     NULL,
     "-v: each TPDU (itot), parameters, each message, byte counts and rate on stderr"},
    {{"version", no_argument, NULL, OPT_VERSION}, ROLE_L | ROLE_C, NULL, "the version"},
    {{"help", no_argument, NULL, OPT_HELP}, ROLE_L | ROLE_C, NULL, "this text"},
};
#define NC_OPTION_COUNT (sizeof nc_options / sizeof nc_options[0])

static void nc_args_help(enum nc_role role)
{
    if (role == NC_ROLE_LISTEN)
        printf("Usage: wsp listen [OPTIONS] ADDR PORT\n\n"
               "Listens on ADDR PORT (PORT 0: any free port), accepts one connection, then\n"
               "copies stdin to the peer and the peer's data to stdout. Once listening it\n"
               "prints 'wsp: listening on ADDR PORT (PROTO)' on stderr, with the real port.\n");
    else
        printf("Usage: wsp connect [OPTIONS] HOST PORT\n\n"
               "Connects to HOST PORT, then copies stdin to the peer and the peer's data to\n"
               "stdout.\n");
    printf("Each read from stdin is sent as one message (one TSDU on itot). At end of stdin\n"
           "on itot (no half-close: a disconnect ends both directions) it keeps receiving\n"
           "until the peer disconnects, or until -q / --idle-timeout runs out, then calls\n"
           "WSASendDisconnect with the --disconnect-data if given (tcp: FIN at once, and it\n"
           "keeps receiving). On stderr it reports what the peer sent at connect and at\n"
           "disconnect (text when printable, hex otherwise, with the DR reason by name) and\n"
           "the negotiated class. Input the peer ended too early for exits 9; a peer that\n"
           "ends without a DR (killed, crashed) exits 4. Options may follow ADDR PORT.\n"
           "TEXT|@FILE: the text itself, or the contents of FILE ('@@x' means the text '@x').\n\n"
           "Options:\n");
    for (size_t i = 0; i < NC_OPTION_COUNT; i++) {
        if (!(nc_options[i].roles & (1u << role)))
            continue;
        char left[48];
        snprintf(left, sizeof left, "--%s%s%s", nc_options[i].opt.name,
                 nc_options[i].arg_help ? " " : "",
                 nc_options[i].arg_help ? nc_options[i].arg_help : "");
        printf("  %-30s %s\n", left, nc_options[i].help);
    }
    if (role == NC_ROLE_LISTEN) {
        printf("\nDR reasons for --reject:\n");
        report_dr_reason_list(stdout);
    }
    tool_exit_print_help();
}

/* SECS for -q / --idle-timeout, in ms. */
static int nc_args_secs(const char *option, const char *arg, long *ms)
{
    long v;
    if (args_number(option, arg, 0, 86400, &v) != 0)
        return -1;
    *ms = v * 1000;
    return 0;
}

static int nc_args_option(int c, const char *arg, struct nc_opts *o)
{
    switch (c) {
    case OPT_TPDU_SIZE:
        return args_number("--tpdu-size", arg, 128, 65531, &o->tpdu_size);
    case OPT_CALLING_TSAP:
        return args_tsap("--calling-tsap", arg, &o->calling_tsap);
    case OPT_CALLED_TSAP:
        return args_tsap("--called-tsap", arg, &o->called_tsap);
    case OPT_TIMEOUT:
        return args_number("--timeout", arg, 0, 2147483647, &o->timeout_ms);
    case 'q':
        return nc_args_secs("-q", arg, &o->quit_ms);
    case OPT_IDLE:
        return nc_args_secs("--idle-timeout", arg, &o->idle_ms);
    case OPT_RECV_ONLY:
        o->recv_only = 1;
        return 0;
    case OPT_SEND_ONLY:
        o->send_only = 1;
        return 0;
    case 'k':
        o->keep_listening = 1;
        return 0;
    case 'v':
        o->verbose = 1;
        return 0;
    case OPT_PROTO:
        return args_proto(arg, &o->proto);
    case OPT_CLASS:
        return args_class(arg, &o->cls);
    case OPT_ACCEPT:
        return args_data("--accept-data", arg, &o->accept_data);
    case OPT_REJECT:
        o->reject_reason = report_dr_reason_parse(arg);
        if (o->reject_reason < 0) {
            report_error("unknown DR reason '%s' (see 'wsp listen --help')", arg);
            return -1;
        }
        return 0;
    case OPT_REJECT_DATA:
        return args_data("--reject-data", arg, &o->reject_data);
    case OPT_CONNECT:
        return args_data("--connect-data", arg, &o->connect_data);
    case OPT_DISCONNECT:
        return args_data("--disconnect-data", arg, &o->disconnect_data);
    }
    return -1;
}

int nc_args_parse(enum nc_role role, int argc, char **argv, struct nc_opts *o)
{
    struct option longopts[NC_OPTION_COUNT + 1];
    size_t n = 0;
    for (size_t i = 0; i < NC_OPTION_COUNT; i++)
        if (nc_options[i].roles & (1u << role))
            longopts[n++] = nc_options[i].opt;
    memset(&longopts[n], 0, sizeof longopts[n]);

    const char *cmd = role == NC_ROLE_LISTEN ? "listen" : "connect";
    int c;
    opterr = 0;
    /* No '+': options may follow the operands, as with nc. */
    const char *shortopts = role == NC_ROLE_LISTEN ? "hvkq:" : "hvq:";
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == OPT_HELP || c == 'h') {
            nc_args_help(role);
            return TOOL_EXIT_OK;
        }
        if (c == OPT_VERSION) {
            printf("wsp %s %s\n", cmd, WSP_TOOL_VERSION);
            return TOOL_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            if (optopt)
                report_error("%s: option needs a value or is unknown: '%s' (try 'wsp %s "
                             "--help')",
                             cmd, argv[optind - 1], cmd);
            else
                report_error("%s: unknown option '%s' (try 'wsp %s --help')", cmd, argv[optind - 1],
                             cmd);
            return TOOL_EXIT_USAGE;
        }
        if (nc_args_option(c, optarg, o) != 0)
            return TOOL_EXIT_USAGE;
    }
    if (argc - optind != 2) {
        report_error("%s: expected %s PORT (try 'wsp %s --help')", cmd,
                     role == NC_ROLE_LISTEN ? "ADDR" : "HOST", cmd);
        return TOOL_EXIT_USAGE;
    }
    o->host = argv[optind];
    if (args_port(argv[optind + 1], &o->port) != 0)
        return TOOL_EXIT_USAGE;
    if (role == NC_ROLE_CONNECT && o->port == 0) {
        report_error("connect: port 0 is not a port one can connect to");
        return TOOL_EXIT_USAGE;
    }
    if (o->proto == ARGS_PROTO_TCP && o->cls >= 0) {
        report_error("%s: --class applies to --proto itot only", cmd);
        return TOOL_EXIT_USAGE;
    }
    if (o->reject_data.set && o->reject_reason < 0) {
        report_error("listen: --reject-data needs --reject REASON");
        return TOOL_EXIT_USAGE;
    }
    int itot_only = o->tpdu_size > 0 || o->calling_tsap.set || o->called_tsap.set;
    if (o->proto == ARGS_PROTO_TCP && itot_only) {
        report_error("%s: --tpdu-size and the TSAP options apply to --proto itot only", cmd);
        return TOOL_EXIT_USAGE;
    }
    if (o->recv_only && o->send_only) {
        report_error("%s: --recv-only and --send-only exclude each other", cmd);
        return TOOL_EXIT_USAGE;
    }
    return -1;
}
