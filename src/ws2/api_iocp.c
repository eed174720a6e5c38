/* SPDX-License-Identifier: MIT */
/* The kernel32 completion-port calls a ported Winsock server uses, over
 * iocp.c, and CancelIo/CancelIoEx for sockets. Errors are Windows' ERROR_* codes in
 * the thread's last error (GetLastError, the same value as WSAGetLastError,
 * as on Windows). None needs WSAStartup except what touches a socket. */
#include "api.h"
#include "common/umem.h"
#include "iocp.h"

static BOOL api_iocp_fail(int err)
{
    le_set(err);
    return FALSE;
}

/* Associate s with port and key: the socket is pinned meanwhile, so a
 * concurrent closesocket cannot hand its slot to another socket under us. */
static int api_iocp_associate(SOCKET s, HANDLE port, ULONG_PTR key)
{
    struct api_sock a;
    if (api_pin(s, &a) != 0)
        return ERROR_INVALID_HANDLE;
    int err = hdl_set_port(s, (uintptr_t)port, key);
    hdl_unpin(s);
    /* a second association: Windows fails it with ERROR_INVALID_PARAMETER */
    return err == 0 ? 0 : err == WSAEINVAL ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE;
}

WSP_EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                                ULONG_PTR CompletionKey,
                                                DWORD NumberOfConcurrentThreads)
{
    HANDLE port = ExistingCompletionPort;
    int err = 0;
    if (FileHandle == INVALID_HANDLE_VALUE) {
        /* only a new port can be made without a file */
        err =
            port != NULL ? ERROR_INVALID_PARAMETER : iocp_create(&port, NumberOfConcurrentThreads);
        if (err != 0)
            port = NULL;
        le_set(err);
        return port;
    }
    int made = 0;
    if (port == NULL) {
        err = iocp_create(&port, NumberOfConcurrentThreads);
        made = err == 0;
    } else {
        err = iocp_check(port);
    }
    if (err == 0)
        err = api_iocp_associate((SOCKET)FileHandle, port, CompletionKey);
    if (err != 0) {
        if (made)
            (void)iocp_close(port);
        le_set(err);
        return NULL;
    }
    return port;
}

/* The statuses GetQueuedCompletionStatus reports under another code than the
 * WSAE* one wsp keeps: a truncated datagram is a warning status on Windows
 * (STATUS_BUFFER_OVERFLOW), which the port's translation makes
 * ERROR_MORE_DATA while WSAGetOverlappedResult says WSAEMSGSIZE (Wine gives
 * the same: docs/porting.md). */
static const struct {
    ULONG_PTR status;
    int error;
} api_iocp_errors[] = {
    {WSAEMSGSIZE, ERROR_MORE_DATA},
};

static int api_iocp_error(ULONG_PTR status)
{
    for (unsigned i = 0; i < sizeof api_iocp_errors / sizeof api_iocp_errors[0]; i++)
        if (api_iocp_errors[i].status == status)
            return api_iocp_errors[i].error;
    return (int)status;
}

WSP_EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                                 LPDWORD lpNumberOfBytesTransferred,
                                                 PULONG_PTR lpCompletionKey,
                                                 LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds)
{
    /* the out-parameters are checked before a packet is taken, so a bad one
     * cannot lose it */
    if (umem_check_out(lpNumberOfBytesTransferred, sizeof(DWORD)) != 0 ||
        umem_check_out(lpCompletionKey, sizeof(ULONG_PTR)) != 0 ||
        umem_check_out(lpOverlapped, sizeof(LPOVERLAPPED)) != 0)
        return api_iocp_fail(ERROR_NOACCESS);
    OVERLAPPED_ENTRY e;
    ULONG n = 0;
    int err = iocp_get(CompletionPort, &e, 1, &n, dwMilliseconds, FALSE);
    if (err != 0) {
        *lpOverlapped = NULL; /* Windows: no packet was dequeued */
        return api_iocp_fail(err);
    }
    *lpNumberOfBytesTransferred = e.dwNumberOfBytesTransferred;
    *lpCompletionKey = e.lpCompletionKey;
    *lpOverlapped = e.lpOverlapped;
    /* a failed operation: FALSE with the packet, its WSAE* code as error */
    if (e.Internal != 0)
        return api_iocp_fail(api_iocp_error(e.Internal));
    return TRUE;
}

WSP_EXPORT BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                                   LPOVERLAPPED_ENTRY lpCompletionPortEntries,
                                                   ULONG ulCount, PULONG ulNumEntriesRemoved,
                                                   DWORD dwMilliseconds, BOOL fAlertable)
{
    if (ulCount == 0)
        return api_iocp_fail(ERROR_INVALID_PARAMETER);
    if (umem_check_out(ulNumEntriesRemoved, sizeof(ULONG)) != 0 ||
        umem_check_out(lpCompletionPortEntries, (size_t)ulCount * sizeof(OVERLAPPED_ENTRY)) != 0)
        return api_iocp_fail(ERROR_NOACCESS);
    ULONG n = 0;
    int err =
        iocp_get(CompletionPort, lpCompletionPortEntries, ulCount, &n, dwMilliseconds, fAlertable);
    *ulNumEntriesRemoved = n;
    return err == 0 ? TRUE : api_iocp_fail(err);
}

WSP_EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                                  DWORD dwNumberOfBytesTransferred,
                                                  ULONG_PTR dwCompletionKey,
                                                  LPOVERLAPPED lpOverlapped)
{
    int err =
        iocp_post(CompletionPort, dwCompletionKey, lpOverlapped, dwNumberOfBytesTransferred, 0);
    return err == 0 ? TRUE : api_iocp_fail(err);
}

WSP_EXPORT BOOL WINAPI CloseHandle(HANDLE hObject)
{
    int err = iocp_close(hObject);
    return err == 0 ? TRUE : api_iocp_fail(err);
}

/* A socket's operations are cancelled by its provider (ws2spi.h,
 * SIO_WSP_CANCEL_OVERLAPPED and, for CancelIo, SIO_WSP_CANCEL_OVERLAPPED_THREAD
 * called in this thread); each completes with WSA_OPERATION_ABORTED. The
 * provider's WSP_ERROR_NOT_FOUND (nothing matched) is ERROR_NOT_FOUND. */
static int api_cancel(SOCKET s, DWORD code, LPOVERLAPPED *in, DWORD cb_in)
{
    struct api_sock a;
    if (api_pin(s, &a) != 0)
        return ERROR_INVALID_HANDLE;
    WSATHREADID tid = {0};
    DWORD ret = 0;
    int err = 0;
    int rc = api_procs(&a)->lpWSPIoctl(s, code, in, cb_in, NULL, 0, &ret, NULL, NULL, &tid, &err);
    if (rc != SOCKET_ERROR)
        err = 0;
    else if (err == WSP_ERROR_NOT_FOUND || err == 0)
        err = err == 0 ? WSASYSCALLFAILURE : ERROR_NOT_FOUND;
    hdl_unpin(s);
    return err;
}

WSP_EXPORT BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)
{
    int err =
        api_cancel((SOCKET)hFile, SIO_WSP_CANCEL_OVERLAPPED, &lpOverlapped, sizeof(LPOVERLAPPED));
    return err == 0 ? TRUE : api_iocp_fail(err);
}

WSP_EXPORT BOOL WINAPI CancelIo(HANDLE hFile)
{
    int err = api_cancel((SOCKET)hFile, SIO_WSP_CANCEL_OVERLAPPED_THREAD, NULL, 0);
    /* Nothing of this thread pending is no failure: CancelIo's page names no
     * ERROR_NOT_FOUND (CancelIoEx's and CancelSynchronousIo's do), and
     * NtCancelIoFile, under it, succeeds with nothing to cancel. */
    return err == 0 || err == ERROR_NOT_FOUND ? TRUE : api_iocp_fail(err);
}
