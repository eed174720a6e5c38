/* SPDX-License-Identifier: MIT */
/* Windows' resolver flags and codes <-> the system's (getaddrinfo family). */
#ifndef WSP_WS2_RESOLVE_MAP_H
#define WSP_WS2_RESOLVE_MAP_H

/* Windows AI_* flags to the system's; -1 for a bit Windows does not define. */
int rsv_ai_flags(int win_flags);

/* Windows NI_* flags to the system's; -1 for an unknown bit. */
int rsv_ni_flags(int win_flags);

/* A system EAI_* result (0 included) to the WSA code Windows returns. */
int rsv_eai_to_wsa(int eai);

/* A system h_errno value (gethostbyname_r & co.) to its WSA code. */
int rsv_herr_to_wsa(int herr);

#endif
