#ifndef POD_NET_H
#define POD_NET_H
// A pod's network namespace and its CNI plugins, shared by stage0 (rkt run and
// rkt gc, through Swift) and the stage1 supervisor (tear-down when the pod ends):
// one way to make and drop the namespace, to run a plugin, and to undo what
// the plugins did.
//
// The tear-down record, `net/teardown` in the pod directory, is written by
// PodKit before each plugin is called (so a run killed half-way is undone
// too): NUL-terminated tokens
//   cni-teardown 1
//   timeout MS                     how long one plugin may run
//   container ID                   CNI_CONTAINERID (the pod's UUID)
//   path DIR:DIR...                CNI_PATH
//   net PLUGIN CONF IFNAME ARGS    once per plugin call, in setup order; PLUGIN an
//                                  absolute path, CONF relative to the pod directory
// and the namespace is the file named in the pod's `netns` (rkt's layout).

/// Brings `lo` up in the calling thread's network namespace: 0, or -1 with errno set.
int pod_loopback_up(void);

/// Makes a network namespace with `lo` up, held by a bind mount on `path` (a new
/// file; its directory is made a shared mount first, as `ip netns add` does, so
/// that unmounting it on the host reaches copies in other mount namespaces).
/// Returns 0, or an errno value with `*failed` naming the step.
int pod_netns_create(const char *path, const char **failed);

/// Unmounts and removes a namespace file made by pod_netns_create. Returns 0 (also
/// when it is gone already) or an errno value.
int pod_netns_remove(const char *path);

/// Runs CNI plugin `plugin` (absolute path) in its own process group with this
/// process's environment, less any CNI_ variable (and with a standard PATH if it
/// has none), plus `vars` ("NAME=VALUE", NULL-terminated), stdin `in_fd`, stdout `out_fd`, stderr `err_fd`. The group
/// is killed after `timeout_ms`. Returns 0 with the wait status in `*status`, or an errno value (ETIMEDOUT: killed at
/// the timeout).
int pod_net_plugin(const char *plugin, char *const vars[], int in_fd, int out_fd, int err_fd, int timeout_ms,
                   int *status);

/// Undoes the record in `pod_dirfd` (the pod directory): CNI DEL for each plugin
/// call, last first, then the namespace. One tear-down at a time per pod: it
/// holds an exclusive lock on the pod's `net` directory throughout (so a caller
/// that must see the network gone, `rkt gc`, waits for one under way), and once
/// it holds it writes a byte to `locked_fd` and closes it (-1: none). One line per
/// failure goes to `err_fd`, prefixed with `prefix`. The record and `netns` are
/// removed when everything succeeded, so a later call retries what failed, or
/// whatever failed with POD_NET_FORCE in `flags` (a pod that never started, or
/// one being deleted: there is no later call).
/// Returns the number of failures (0 also when there is no record).
///
/// `netns`, when not NULL, is the namespace to name to the plugins instead of the
/// one in the pod's `netns` file (which is then not removed): the stage1
/// supervisor unmounts that file at once and hands over an open descriptor.
int pod_net_teardown(int pod_dirfd, const char *netns, int flags, const char *prefix, int err_fd, int locked_fd);

#define POD_NET_FORCE 1

#endif
