// SPDX-License-Identifier: MIT
// Compiled, not run: C++17 with the Winsock names, standard headers included
// both before and after ours. std::bind and Winsock's bind both work.
#include <functional>
#include <string>

#define WSP_WINSOCK_NAMES
#include <wsp/winsock2.h>
#include <wsp/ws2tcpip.h>
#include <wsp/mstcpip.h>
#include <wsp/mswsock.h>

#include <memory>
#include <thread>
#include <vector>

static int names_add(int a, int b)
{
    return a + b;
}

int names_cxx_uses();
int names_cxx_uses()
{
    auto add2 = std::bind(names_add, 2, std::placeholders::_1);
    std::string s = "x";
    std::thread t([] {});
    t.join();

    SOCKET sock = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN6 a{};
    INETADDR_SETLOOPBACK(reinterpret_cast<SOCKADDR *>(&a));
    int rc = bind(sock, reinterpret_cast<SOCKADDR *>(&a), sizeof a);
    rc += ::bind(sock, reinterpret_cast<SOCKADDR *>(&a), static_cast<int>(sizeof a));

    ADDRINFOW hints{};
    PADDRINFOW res = nullptr;
    rc += GetAddrInfoW(u"localhost", u"80", &hints, &res); // u"" literals are WCHAR strings
    FreeAddrInfoW(res);
    struct addrinfo *ares = nullptr;
    rc += getaddrinfo("::1", nullptr, nullptr, &ares);
    freeaddrinfo(ares);
    u_long nb = 1;
    rc += ioctlsocket(sock, FIONBIO, &nb);
    closesocket(sock);
    return add2(rc) + static_cast<int>(s.size());
}
