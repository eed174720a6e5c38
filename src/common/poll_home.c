/* SPDX-License-Identifier: MIT */
/* poll_home — the one place a module's descriptors are watched from: libwsp's
 * process poll set when the module's poll procedure can be registered there
 * (WPURegisterPortPoller, WPUGetProcessPollSet), else a thread of the
 * module's own (poll_local.c).  Both providers take their set here, so a
 * process runs one watcher thread however many providers it loads. */
#include "common/poll_home.h"

#include "common/ovl.h"
#include "common/poll_local.h"

int poll_home_take(LPWPUPORTPOLLPROC proc, DWORD *id, int *fd, uint64_t *tag)
{
    int err = 0;
    if (*id == 0 && (err = ovl_port_poll_register(proc, id)) != 0)
        *id = 0;
    if (err != 0)
        return poll_local_set(proc, fd, tag);
    return ovl_process_poll_set(*id, fd, tag);
}

void poll_home_atfork_init(void)
{
    poll_local_atfork_init();
}

void poll_home_leave(DWORD *id)
{
    DWORD was = *id;
    *id = 0;
    if (was != 0)
        ovl_port_poll_deregister(was);
    poll_local_stop();
}
