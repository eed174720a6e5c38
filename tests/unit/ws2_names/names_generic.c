/* SPDX-License-Identifier: MIT */
/* Compiled, not run (the test is that it compiles), twice: with and without
 * UNICODE. Every generic name maps to its A form by default and to its W form
 * under UNICODE, as in the Windows SDK; the Windows headers are reachable as
 * <winsock2.h>, <ws2tcpip.h>, ... with the include path pkg-config gives. */
#define WSP_WINSOCK_NAMES
#include <winsock2.h>
#include <ws2tcpip.h>
#include <ws2ipdef.h>
#include <mstcpip.h>
#include <wspiapi.h>

#include <stddef.h>

#ifdef UNICODE
#define NAMES_IS_W 1
#else
#define NAMES_IS_W 0
#endif

#define NAMES_PICK(fn, a, w) _Generic(&(fn), __typeof__(&(a)) : 0, __typeof__(&(w)) : 1)

_Static_assert(NAMES_PICK(WSASocket, WSASocketA, WSASocketW) == NAMES_IS_W, "WSASocket");
_Static_assert(NAMES_PICK(WSAEnumProtocols, WSAEnumProtocolsA, WSAEnumProtocolsW) == NAMES_IS_W,
               "WSAEnumProtocols");
_Static_assert(NAMES_PICK(WSAAddressToString, WSAAddressToStringA, WSAAddressToStringW) ==
                   NAMES_IS_W,
               "WSAAddressToString");
_Static_assert(NAMES_PICK(WSAStringToAddress, WSAStringToAddressA, WSAStringToAddressW) ==
                   NAMES_IS_W,
               "WSAStringToAddress");
_Static_assert(NAMES_PICK(GetAddrInfo, getaddrinfo, GetAddrInfoW) == NAMES_IS_W, "GetAddrInfo");
_Static_assert(NAMES_PICK(FreeAddrInfo, freeaddrinfo, FreeAddrInfoW) == NAMES_IS_W, "FreeAddrInfo");
_Static_assert(NAMES_PICK(GetNameInfo, getnameinfo, GetNameInfoW) == NAMES_IS_W, "GetNameInfo");
_Static_assert(NAMES_PICK(InetPton, inet_pton, InetPtonW) == NAMES_IS_W, "InetPton");
_Static_assert(NAMES_PICK(InetNtop, inet_ntop, InetNtopW) == NAMES_IS_W, "InetNtop");
_Static_assert(NAMES_PICK(GetAddrInfoEx, GetAddrInfoExA, GetAddrInfoExW) == NAMES_IS_W,
               "GetAddrInfoEx");
/* (FreeAddrInfoEx is itself the A function, so the SDK's macro makes the name
 * W under UNICODE: compare with the two signatures) */
_Static_assert(_Generic(&FreeAddrInfoEx, void (*)(PADDRINFOEXA) : 0, void (*)(PADDRINFOEXW) : 1) ==
                   NAMES_IS_W,
               "FreeAddrInfoEx");
_Static_assert(NAMES_PICK(WSAConnectByName, WSAConnectByNameA, WSAConnectByNameW) == NAMES_IS_W,
               "WSAConnectByName");
_Static_assert(_Generic((ADDRINFOEX *)0, ADDRINFOEXA * : 0, ADDRINFOEXW * : 1) == NAMES_IS_W,
               "ADDRINFOEX");
_Static_assert(NAMES_PICK(gai_strerror, gai_strerrorA, gai_strerrorW) == NAMES_IS_W,
               "gai_strerror");
_Static_assert(sizeof(WSAPROTOCOL_INFO) ==
                   (NAMES_IS_W ? sizeof(WSAPROTOCOL_INFOW) : sizeof(WSAPROTOCOL_INFOA)),
               "WSAPROTOCOL_INFO");
_Static_assert(sizeof(*(LPWSAPROTOCOL_INFO)0) == sizeof(WSAPROTOCOL_INFO), "LPWSAPROTOCOL_INFO");
_Static_assert(SO_PROTOCOL_INFO == (NAMES_IS_W ? SO_PROTOCOL_INFOW : SO_PROTOCOL_INFOA),
               "SO_PROTOCOL_INFO");
_Static_assert(_Generic((ADDRINFOT *)0, ADDRINFOA * : 0, ADDRINFOW * : 1) == NAMES_IS_W,
               "ADDRINFOT");

/* Windows' struct addrinfo under the plain name: ai_canonname before ai_addr */
_Static_assert(offsetof(struct addrinfo, ai_canonname) < offsetof(struct addrinfo, ai_addr),
               "struct addrinfo has Windows' layout");
_Static_assert(sizeof(struct addrinfo) == sizeof(ADDRINFOA), "addrinfo is ADDRINFOA");
_Static_assert(_Generic((PADDRINFOA)0, struct addrinfo * : 1, default : 0), "PADDRINFOA");

/* Windows' numbers for the resolver constants (ws2def.h / ws2tcpip.h) */
_Static_assert(AI_PASSIVE == 0x1 && AI_CANONNAME == 0x2 && AI_NUMERICHOST == 0x4 &&
                   AI_NUMERICSERV == 0x8 && AI_ALL == 0x100 && AI_ADDRCONFIG == 0x400 &&
                   AI_V4MAPPED == 0x800,
               "AI_*");
_Static_assert(NI_NOFQDN == 0x1 && NI_NUMERICHOST == 0x2 && NI_NAMEREQD == 0x4 &&
                   NI_NUMERICSERV == 0x8 && NI_DGRAM == 0x10 && NI_MAXHOST == 1025 &&
                   NI_MAXSERV == 32,
               "NI_*");
_Static_assert(EAI_AGAIN == WSATRY_AGAIN && EAI_BADFLAGS == WSAEINVAL &&
                   EAI_FAIL == WSANO_RECOVERY && EAI_FAMILY == WSAEAFNOSUPPORT &&
                   EAI_MEMORY == WSA_NOT_ENOUGH_MEMORY && EAI_NONAME == WSAHOST_NOT_FOUND &&
                   EAI_SERVICE == WSATYPE_NOT_FOUND && EAI_SOCKTYPE == WSAESOCKTNOSUPPORT &&
                   EAI_NODATA == EAI_NONAME,
               "EAI_*");
_Static_assert(WSAHOST_NOT_FOUND == 11001 && HOST_NOT_FOUND == WSAHOST_NOT_FOUND &&
                   NO_DATA == WSANO_DATA,
               "WSAHOST_NOT_FOUND family");

/* Windows' type names */
_Static_assert(sizeof(u_long) == 4, "u_long is Winsock's");
_Static_assert(sizeof(SOCKADDR_IN) == 16 && sizeof(SOCKADDR_IN6) == 28, "SOCKADDR_IN(6)");
_Static_assert(sizeof(SOCKADDR_STORAGE) == 128 && sizeof(*(PSOCKADDR_STORAGE)0) == 128,
               "SOCKADDR_STORAGE");
_Static_assert(sizeof(SOCKADDR_INET) == 28 && offsetof(SOCKADDR_INET, si_family) == 0,
               "SOCKADDR_INET");
_Static_assert(sizeof(IN_ADDR) == 4 && sizeof(IN6_ADDR) == 16, "IN_ADDR, IN6_ADDR");
_Static_assert(sizeof(TIMEVAL) == sizeof(struct timeval), "TIMEVAL");
_Static_assert(sizeof(ADDRINFOW) == sizeof(ADDRINFOA) && sizeof(*(PADDRINFOW)0) > 0, "ADDRINFOW");

/* WCHAR strings are u"" literals */
static const WCHAR names_host[] = u"localhost";
_Static_assert(sizeof names_host == 10 * sizeof(WCHAR), "u\"\" is a WCHAR string");

int names_generic_uses(void);
int names_generic_uses(void)
{
    ADDRINFOT *res = NULL;
    struct addrinfo hints; /* as the Windows samples write it */
    ZeroMemory(&hints, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = GetAddrInfo(NULL, NULL, NULL, &res);
    (void)names_host;
    return rc + WspiapiGetAddrInfo("127.0.0.1", NULL, &hints, NULL) + h_errno;
}
