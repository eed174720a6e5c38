/* itot options the tool uses that <wsp/itot.h> may not define yet. The tool
 * copes with a provider that refuses them (a warning, not a failure). */
#ifndef WSP_TOOL_ITOT_COMPAT_H
#define WSP_TOOL_ITOT_COMPAT_H

#include <wsp/itot.h>

#ifndef WSP_ITOT_REJECT_REASON
/* int, on a listening socket: the DR reason used when the WSAAccept condition
 * function returns CF_REJECT (proposed to the itot part; see docs/wsp.md). */
#define WSP_ITOT_REJECT_REASON 10
#endif

#endif
