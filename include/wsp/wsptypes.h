/* SPDX-License-Identifier: MIT */
/* wsp — Windows base types with Windows' sizes (shared by winsock2.h and ws2spi.h).
 *
 * Windows' `long` is 32 bits on every target, so every Windows type that is a
 * `long` there is a fixed 32-bit type here: structure layouts then match
 * Windows byte for byte (WSAPROTOCOL_INFOW is 628 bytes on both). */
#ifndef WSP_WSPTYPES_H
#define WSP_WSPTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(_WIN64)
#define WSPAPI __stdcall
#define WSAAPI __stdcall
#define CALLBACK __stdcall
#else
#define WSPAPI
#define WSAAPI
#ifndef CALLBACK
#define CALLBACK
#endif
#endif

#if defined(WSP_BUILDING)
#define WSP_EXPORT __attribute__((visibility("default")))
#else
#define WSP_EXPORT
#endif

#ifndef WSP_NO_WINDOWS_TYPES
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int INT;
typedef int BOOL;
typedef char CHAR;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef unsigned int UINT;
/* UTF-16 code unit, as on Windows (not wchar_t): u"..." literals are WCHAR
 * strings in C11 (char16_t is uint_least16_t) and in C++ (char16_t itself). */
#ifdef __cplusplus
typedef char16_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef uintptr_t ULONG_PTR;
typedef uintptr_t DWORD_PTR;
typedef uintptr_t UINT_PTR;
typedef intptr_t LONG_PTR;
typedef void *HANDLE;
typedef void *HWND;
typedef void *LPVOID;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef INT *LPINT;
typedef DWORD *LPDWORD;
typedef DWORD_PTR *PDWORD_PTR;
typedef CHAR *LPSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef const CHAR *LPCSTR;
typedef CHAR *PSTR;
typedef const CHAR *PCSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;
typedef void *PVOID;
typedef CHAR *PCHAR;
typedef WCHAR *PWCHAR;
typedef HANDLE *LPHANDLE;
#ifndef VOID
#define VOID void /* a macro, as in Windows' winnt.h */
#endif
typedef ULONG *PULONG;
typedef USHORT *PUSHORT;
typedef unsigned char UCHAR, *PUCHAR;
typedef uint64_t ULONG64;
/* Winsock's u_long is 32 bits, glibc's (sys/types.h, _DEFAULT_SOURCE) is
 * `unsigned long`. Our prototypes say wsp_u_long; the name u_long becomes ours
 * only when asked for (WSP_WINSOCK_NAMES, and inside wsp itself), so that a
 * POSIX program's own u_long (<rpc/xdr.h>'s prototypes...) is never changed
 * behind its back. sys/types.h is included first (include guard), so both
 * headers can be included in any order. */
typedef uint32_t wsp_u_long;
#if defined(WSP_WINSOCK_NAMES) || defined(WSP_BUILDING)
#define u_long wsp_u_long
#endif
typedef unsigned int u_int;
typedef unsigned short u_short;
typedef unsigned char u_char;

typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID, *LPGUID;
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#ifdef __cplusplus
}
#endif
#endif
