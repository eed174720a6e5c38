/* SPDX-License-Identifier: MIT */
/* WSARecvMsg's control messages on a datagram socket: the kernel's
 * IP_PKTINFO / IPV6_PKTINFO messages rewritten in Windows' layouts
 * (ws2ipdef.h: IN_PKTINFO, IN6_PKTINFO) into the caller's WSAMSG.Control,
 * with WSACMSGHDR framing (mswsock.h: WSA_CMSG_*). A message that does not
 * fit whole is left out and MSG_CTRUNC is set in dwFlags (WSAMSG page:
 * "More control data was present than the process allocated room for"). */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <wsp/mswsock.h>
#include <wsp/ws2ipdef.h>

#include "common/umem.h"
#include "tcp.h"

/* The Windows form of one kernel message into out (room for it checked). */
typedef void (*tcp_ctl_conv_fn)(const unsigned char *in, unsigned char *out);

static void tcp_ctl_in4(const unsigned char *in, unsigned char *out)
{
    struct in_pktinfo k;
    memcpy(&k, in, sizeof k);
    IN_PKTINFO w = {.ipi_addr = k.ipi_addr, .ipi_ifindex = (ULONG)k.ipi_ifindex};
    memcpy(out, &w, sizeof w);
}

static void tcp_ctl_in6(const unsigned char *in, unsigned char *out)
{
    struct in6_pktinfo k;
    memcpy(&k, in, sizeof k);
    IN6_PKTINFO w = {.ipi6_addr = k.ipi6_addr, .ipi6_ifindex = (ULONG)k.ipi6_ifindex};
    memcpy(out, &w, sizeof w);
}

static const struct tcp_ctl_conv {
    int level, type;
    size_t klen; /* the kernel's data */
    size_t wlen; /* Windows' data */
    tcp_ctl_conv_fn conv;
} tcp_ctl_convs[] = {
    {IPPROTO_IP, IP_PKTINFO, sizeof(struct in_pktinfo), sizeof(IN_PKTINFO), tcp_ctl_in4},
    {IPPROTO_IPV6, IPV6_PKTINFO, sizeof(struct in6_pktinfo), sizeof(IN6_PKTINFO), tcp_ctl_in6},
};

static const struct tcp_ctl_conv *tcp_ctl_find(const struct cmsghdr *c)
{
    for (unsigned i = 0; i < sizeof tcp_ctl_convs / sizeof tcp_ctl_convs[0]; i++) {
        const struct tcp_ctl_conv *cv = &tcp_ctl_convs[i];
        if (cv->level == c->cmsg_level && cv->type == c->cmsg_type &&
            c->cmsg_len >= CMSG_LEN(cv->klen))
            return cv;
    }
    return NULL; /* none other is asked for (options.c) */
}

int tcp_ctl_deliver(const struct tcp_ctl *ctl, struct msghdr *mh, DWORD *outflags)
{
    unsigned char out[TCP_CTL_BUF];
    memset(out, 0, sizeof out); /* the padding the caller sees */
    size_t used = 0;
    DWORD fl = (mh->msg_flags & MSG_CTRUNC) ? WSP_MSG_CTRUNC : 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        const struct tcp_ctl_conv *cv = tcp_ctl_find(c);
        if (cv == NULL)
            continue;
        size_t len = WSA_CMSG_LEN(cv->wlen);
        if (used + len > ctl->cap || used + WSA_CMSG_SPACE(cv->wlen) > sizeof out) {
            fl |= WSP_MSG_CTRUNC;
            continue;
        }
        WSACMSGHDR h = {.cmsg_len = len, .cmsg_level = c->cmsg_level, .cmsg_type = c->cmsg_type};
        memcpy(out + used, &h, sizeof h);
        cv->conv(CMSG_DATA(c), out + used + WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)));
        /* the last message's padding only as far as the buffer goes */
        used += WSA_CMSG_SPACE(cv->wlen);
        if (used > ctl->cap)
            used = ctl->cap;
    }
    ULONG n = (ULONG)used;
    char *buf;
    if (umem_read(&buf, &ctl->msg->Control.buf, sizeof buf) != 0 ||
        umem_write(buf, out, used) != 0 || umem_write(&ctl->msg->Control.len, &n, sizeof n) != 0)
        return WSAEFAULT;
    *outflags = fl;
    return 0;
}
