/* SPDX-License-Identifier: MIT */
/* ext — the shared parts of Microsoft's extension functions (ext.h). */
#include "ext.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "umem.h"

static _Atomic(LPWPUSETLASTERROR) ext_set_error;
static _Atomic(LPWPUOPENCURRENTTHREAD) ext_open_thread;

bool ext_startup(const WSPUPCALLTABLE *upcalls)
{
    if (upcalls != NULL)
        atomic_store(&ext_open_thread, upcalls->lpWPUOpenCurrentThread);
    /* Looked up each startup: libwsp may have been reloaded at another address. */
    LPWPUSETLASTERROR f;
    void *sym = dlsym(RTLD_DEFAULT, "WPUSetLastError");
    memcpy(&f, &sym, sizeof f);
    atomic_store(&ext_set_error, f);
    return f != NULL;
}

static void ext_set_last_error(int err)
{
    LPWPUSETLASTERROR f = atomic_load(&ext_set_error);
    if (f != NULL)
        f(err);
}

BOOL ext_fail_bool(int err)
{
    ext_set_last_error(err);
    return FALSE;
}

int ext_fail_int(int err)
{
    ext_set_last_error(err);
    return SOCKET_ERROR;
}

int ext_thread(LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid)
{
    memset(tid, 0, sizeof *tid);
    if (routine == NULL)
        return 0;
    LPWPUOPENCURRENTTHREAD f = atomic_load(&ext_open_thread);
    int err = WSAEOPNOTSUPP;
    if (f != NULL && f(tid, &err) == 0)
        return 0;
    return err;
}

int ext_get_pointer(const struct ext_fn *tab, size_t n, const void *in, DWORD cb_in, void *out,
                    DWORD cb_out, LPDWORD lpcb)
{
    GUID g;
    /* WSAIoctl: WSAEFAULT for a buffer not in the address space or a size too small. */
    if (in == NULL || cb_in < sizeof g || umem_read(&g, in, sizeof g) != 0)
        return WSAEFAULT;
    if (out == NULL || cb_out < sizeof(ext_proc) || lpcb == NULL)
        return WSAEFAULT;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&tab[i].guid, &g, sizeof g) != 0)
            continue;
        DWORD cb = sizeof(ext_proc);
        if (umem_check_write(lpcb, sizeof cb) != 0 || umem_write(out, &tab[i].fn, cb) != 0)
            return WSAEFAULT;
        return umem_write(lpcb, &cb, sizeof cb);
    }
    return WSAEINVAL; /* WSAIoctl: an input parameter that is not acceptable */
}

/* ---- AcceptEx's output buffer --------------------------------------------- */

/* Offset of the sockaddr in a block starting at b (the layout in ext.h). */
static size_t ext_addr_off(uintptr_t b)
{
    uintptr_t a = (b + sizeof(uint32_t) + 7u) & ~(uintptr_t)7u;
    return (size_t)(a - b);
}

static void ext_block(unsigned char *b, DWORD size, struct sockaddr **sa, LPINT len)
{
    struct sockaddr *p = NULL;
    int l = 0;
    uint32_t n;
    if (b != NULL && size >= sizeof n) {
        memcpy(&n, b, sizeof n);
        size_t off = ext_addr_off((uintptr_t)b);
        if (off <= size && n <= size - off && n > 0) {
            p = (struct sockaddr *)(void *)(b + off);
            l = (int)n;
        }
    }
    if (sa != NULL)
        *sa = p;
    if (len != NULL)
        *len = l;
}

void PASCAL ext_GetAcceptExSockaddrs(PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
                                     DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
                                     struct sockaddr **LocalSockaddr, LPINT LocalSockaddrLength,
                                     struct sockaddr **RemoteSockaddr, LPINT RemoteSockaddrLength)
{
    unsigned char *base = lpOutputBuffer;
    unsigned char *lb = base ? base + dwReceiveDataLength : NULL;
    unsigned char *rb = base ? lb + dwLocalAddressLength : NULL;
    ext_block(lb, dwLocalAddressLength, LocalSockaddr, LocalSockaddrLength);
    ext_block(rb, dwRemoteAddressLength, RemoteSockaddr, RemoteSockaddrLength);
}

static int ext_put_block(unsigned char *b, DWORD size, const struct sockaddr *sa, int len)
{
    unsigned char tmp[sizeof(uint32_t) + 7 + sizeof(struct sockaddr_storage)];
    size_t off = ext_addr_off((uintptr_t)b);
    if (len < 0 || (size_t)len > sizeof(struct sockaddr_storage) || off + (size_t)len > size)
        return WSAEINVAL;
    uint32_t n = (uint32_t)len;
    memset(tmp, 0, off);
    memcpy(tmp, &n, sizeof n);
    memcpy(tmp + off, sa, (size_t)len);
    return umem_write(b, tmp, off + (size_t)len);
}

int ext_put_addrs(void *out, DWORD recv_len, DWORD local_len, DWORD remote_len,
                  const struct sockaddr *local, int llen, const struct sockaddr *remote, int rlen)
{
    unsigned char *lb = (unsigned char *)out + recv_len;
    int err = ext_put_block(lb, local_len, local, llen);
    if (err == 0)
        err = ext_put_block(lb + local_len, remote_len, remote, rlen);
    return err;
}

/* ---- argument checks ------------------------------------------------------- */

int ext_acceptex_check(int addr_max, PVOID out, DWORD recv_len, DWORD local_len, DWORD remote_len,
                       LPDWORD lpdwBytes, LPWSAOVERLAPPED ov)
{
    if (ov == NULL)
        return WSAEINVAL;
    DWORD need = (DWORD)addr_max + EXT_ADDR_EXTRA;
    if (local_len < need || remote_len < need)
        return WSAEINVAL;
    uint64_t total = (uint64_t)recv_len + local_len + remote_len;
    if (out == NULL || total > SIZE_MAX || umem_check_out(out, (size_t)total) != 0)
        return WSAEFAULT;
    if (lpdwBytes != NULL && umem_check_write(lpdwBytes, sizeof *lpdwBytes) != 0)
        return WSAEFAULT;
    if (umem_check_write(ov, sizeof *ov) != 0)
        return WSAEFAULT;
    return 0;
}

int ext_connectex_check(int addr_min, const struct sockaddr *name, int namelen, PVOID send,
                        DWORD send_len, LPDWORD lpdwBytes, LPWSAOVERLAPPED ov)
{
    if (ov == NULL)
        return WSAEINVAL;
    if (name == NULL || namelen < addr_min || umem_check_read(name, (size_t)namelen) != 0)
        return WSAEFAULT;
    if (send_len > 0 && (send == NULL || umem_check_read(send, send_len) != 0))
        return WSAEFAULT;
    if (lpdwBytes != NULL && umem_check_write(lpdwBytes, sizeof *lpdwBytes) != 0)
        return WSAEFAULT;
    if (umem_check_write(ov, sizeof *ov) != 0)
        return WSAEFAULT;
    return 0;
}

int ext_disconnectex_check(DWORD flags, DWORD reserved)
{
    return reserved == 0 && (flags & ~(DWORD)TF_REUSE_SOCKET) == 0 ? 0 : WSAEINVAL;
}

static int ext_msg_read(LPWSAMSG msg, WSAMSG *out)
{
    if (msg == NULL || umem_read(out, msg, sizeof *out) != 0)
        return WSAEFAULT;
    return 0;
}

int ext_recvmsg_args(LPWSAMSG msg, WSAMSG *out, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid)
{
    int err = ext_msg_read(msg, out);
    /* WSARecvMsg page: WSAEFAULT for a NULL Control.buf with a Control.len */
    if (err == 0 && out->Control.buf == NULL && out->Control.len != 0)
        err = WSAEFAULT;
    if (err == 0)
        err = ext_thread(ov != NULL ? routine : NULL, tid);
    ULONG zero = 0;
    if (err == 0 && umem_write(&msg->Control.len, &zero, sizeof zero) != 0)
        err = WSAEFAULT;
    return err;
}

int ext_sendmsg_args(LPWSAMSG msg, WSAMSG *out, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID tid)
{
    int err = ext_msg_read(msg, out);
    if (err == 0 && out->Control.len > 0)
        err = WSAEINVAL;
    if (err == 0)
        err = ext_thread(ov != NULL ? routine : NULL, tid);
    return err;
}
