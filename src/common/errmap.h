/* SPDX-License-Identifier: MIT */
/* errno → WSAE* mapping: the only place that knows both numbering schemes. */
#ifndef WSP_COMMON_ERRMAP_H
#define WSP_COMMON_ERRMAP_H

/* The WSAE* code for a POSIX errno value; WSASYSCALLFAILURE when unknown. */
int errmap_from_errno(int err);

#endif
