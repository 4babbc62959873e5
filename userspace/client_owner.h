/*
 * Who is behind a backend's client connection, so nobody approves their own
 * statement: the local process at the other end of the backend's socket and,
 * when that process is a relay (a forwarder or pooler: it holds connections it
 * accepted), the processes at the other ends of those, and so on: the chain.
 * Read from sock_diag (TCP and Unix sockets) and /proc (which process holds which socket).
 */
#ifndef SQLWARD_CLIENT_OWNER_H
#define SQLWARD_CLIENT_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#define SW_CHAIN_MAX_NODES  32   /* processes and endpoints recorded in one chain */
#define SW_CHAIN_MAX_DEPTH  8    /* hops followed away from the backend */
#define SW_CHAIN_MAX_FANOUT 16   /* accepted connections followed per process */

enum sw_chain_node_kind {
	SW_CHAIN_PROCESS,        /* a process on this host */
	SW_CHAIN_REMOTE,         /* the other end is not on this host (or in another network namespace) */
	SW_CHAIN_UNRESOLVED,     /* a local endpoint whose process could not be found (exited, hidden) */
};

struct sw_chain_node {
	enum sw_chain_node_kind kind;
	int depth;               /* 0: the backend's direct peer; n: n hops further out */
	int via;                 /* index of the node one hop closer to the backend; -1 at depth 0 */
	bool origin;             /* a process with no accepted connections: the connection starts here */
	int pid;                 /* SW_CHAIN_PROCESS */
	uid_t uid;               /* its real uid */
	char user[64];           /* its login name, or "uid:N" */
	char exe[64];            /* the base name of its executable */
	char addr[64];           /* SW_CHAIN_REMOTE: "10.0.0.5:51234"; SW_CHAIN_UNRESOLVED: what was looked for */
};

struct sw_client_chain {
	int backend_pid;
	struct sw_chain_node nodes[SW_CHAIN_MAX_NODES];  /* breadth first: depth never decreases */
	size_t n_nodes;
	size_t n_origins;        /* origin processes reached */
	bool truncated;          /* a depth, fan-out or size limit cut the walk short */
	/* The human behind the connection is known: exactly one local origin
	 * process, nothing remote, unresolved or cut off. */
	bool established;
	char why[256];           /* !established: why not, in plain words */
};

/* Follow backend_pid's client connection to where it starts. Always fills out;
 * returns out->established. */
bool sw_client_chain(int backend_pid, struct sw_client_chain *out);

/* The same from one socket (its inode) of a server that holds many connections (mariadbd). */
bool sw_client_chain_socket(int server_pid, unsigned long inode, struct sw_client_chain *out);

/* The origin process of an established chain, else NULL. */
const struct sw_chain_node *sw_client_chain_origin(const struct sw_client_chain *c);

/* One line, origin first: "psql (pid 42, user bob) -> python3 (pid 7, user fwd) -> backend pid 99". */
void sw_client_chain_describe(const struct sw_client_chain *c, char *buf, size_t len);

/* One node in words: "python3 (pid 7, user fwd)", "remote 10.0.0.5:51234", ... */
void sw_chain_node_describe(const struct sw_chain_node *n, char *buf, size_t len);

/* {"established", "why", "backend_pid", "nodes": [{"kind", "depth", "via", "origin", "pid", "uid", "user", "exe" | "addr"}]} */
json_t *sw_client_chain_json(const struct sw_client_chain *c);

struct sw_client_owner {
	int pid;          /* the client process on this host */
	uid_t uid;        /* its real uid */
	char user[64];    /* its login name, or "uid:N" */
};

/* The backend's direct peer process (the first hop of the chain, which may be
 * a relay). false when it is not on this host or cannot be found. */
bool sw_client_owner(int backend_pid, struct sw_client_owner *out);

/* The process at the other end of a connection, for the ledger and policy `client_exe:`. */
#define SW_CLIENT_EXE_MAX 256
#define SW_CLIENT_CMDLINE_MAX 1024
struct sw_client_process {
	int pid;
	char exe[SW_CLIENT_EXE_MAX];          /* /proc/PID/exe resolved ("" unreadable) */
	char cmdline[SW_CLIENT_CMDLINE_MAX];  /* sw_cmdline_display of its argv */
};

/* The backend's direct peer process (as sw_client_owner) with its executable and command
 * line; false when it is not on this host or cannot be found. Reads every process's sockets:
 * call once per connection. */
bool sw_client_process_of(int backend_pid, struct sw_client_process *out);
/* The same for one socket (its inode) of a server that holds many connections (mariadbd). */
bool sw_client_process_of_socket(int server_pid, unsigned long inode, struct sw_client_process *out);

/*
 * argv (NUL-separated, len bytes, as /proc/PID/cmdline) as one display line in out: arguments
 * joined with spaces, each escaped like every view (sw_escape_display), one that is empty or
 * holds a space or '"' in double quotes (inner '"' as \"), passwords in connection URIs
 * (scheme://user:PASSWORD@), password=VALUE words and the argument after "--password" replaced
 * by ***, cut with "…" to fit cap. (mysql -pVALUE is not: -p is psql's port; MariaDB's clients
 * overwrite their own password argument.)
 * Without any NUL (a process that rewrote its title) it is one line, not quoted.
 */
void sw_cmdline_display(const char *argv, size_t len, char *out, size_t cap);

/* Has the client closed the backend's TCP connection (CLOSE_WAIT)? Unix sockets: not detected. */
bool sw_client_gone(int backend_pid);
/* The same for one TCP socket (its inode) of a server. */
bool sw_client_gone_socket(int server_pid, unsigned long inode);

/* ---- the host's sockets, as the walk sees them (exposed for unit tests) ---- */

#define SW_SOCK_LISTEN 10        /* TCP_LISTEN: the state number in /proc/net/tcp and sock_diag */

struct sw_tcp_sock {
	char local[48], remote[48];  /* hex "ADDR:PORT" as in /proc/net/tcp{,6} */
	int state;
	unsigned long inode;         /* 0: no socket owns it any more (TIME_WAIT) */
};

struct sw_unix_sock {
	unsigned long inode, peer;   /* peer 0: not connected */
	int state;
	unsigned name_len;           /* 0: unnamed; an accepted socket carries its listener's name */
	char name[108];              /* sun_path bytes (abstract names start with NUL) */
};

struct sw_sock_holder {
	int pid;
	unsigned long inode;         /* a socket the process has open */
};

struct sw_sock_table {
	struct sw_tcp_sock *tcp;
	size_t n_tcp;
	struct sw_unix_sock *unx;
	size_t n_unix;
	struct sw_sock_holder *holders;
	size_t n_holders;
	unsigned eph_lo, eph_hi;     /* net.ipv4.ip_local_port_range */
	/* Fill n's uid, user and exe for pid; false when the process is gone. */
	bool (*identify)(int pid, struct sw_chain_node *n);
};

/* One line of /proc/net/tcp{,6}; false for the header and malformed lines. */
bool sw_tcp_sock_parse(const char *line, struct sw_tcp_sock *out);

/* "0100007F:1538" -> "127.0.0.1:5432"; IPv6 as "[::1]:5432". Unparsable: the hex as given. */
void sw_tcp_endpoint_text(const char *hex, char *out, size_t len);

/* The chain of backend_pid's client connection in table t (sw_client_chain without /proc). */
void sw_client_chain_walk(const struct sw_sock_table *t, int backend_pid, struct sw_client_chain *out);
/* The walk from one of backend_pid's sockets only (inode; 0: all of them). */
void sw_client_chain_walk_socket(const struct sw_sock_table *t, int backend_pid, unsigned long inode,
				 struct sw_client_chain *out);

#endif
