/*
 * fnhost-node: a peer of a leader election that runs through fnhostd.
 *
 *	fnhost-node -p PORT [-b ADDR] -n PEER... -f FUNCTION_ID -c CHECKSUM
 *		[-u URL] [-t TOKEN] [-k public.pem] [-H MS] [-S MS] [-D MS]
 *		[-I] [-L PERCENT]
 *
 * Nodes gossip their membership over UDP (gossip.h): every heartbeat
 * each sends what it knows to a few members and to its peers not yet
 * known.  A member whose heartbeat stops advancing is suspected after
 * -S ms and dropped after -D ms; one that comes back with a newer
 * heartbeat rejoins.  Whenever the membership changes, the node asks the
 * deployed leader_election function who leads, with the function's
 * checksum pinned, checks the RSA signature of the answer with
 * public.pem, and prints "leader ID term N verified" when the leader
 * changes ("I AM THE LEADER" on the leader), as the seed does; an answer
 * that fails the check is reported and not followed.  SIGUSR1 prints the
 * counters to stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hex.h"
#include "cli/client.h"
#include "node/gossip.h"

#define USAGE                                                                  \
	"usage: fnhost-node -p PORT [-b ADDR] -n PEER... -f FUNCTION_ID "      \
	"-c CHECKSUM\n"                                                        \
	"       [-u URL] [-t TOKEN|@FILE] [-k public.pem] [-H MS] [-S MS] "    \
	"[-D MS] [-I] [-L PERCENT]\n"
#define MAX_PEERS GOSSIP_MAX_MEMBERS
#define FANOUT 3      /* members gossiped to per heartbeat */
#define RETRY_MS 1000 /* between elections that could not be held */

struct member {
	uint32_t addr; /* network order */
	uint16_t port; /* the node's id */
	uint32_t heartbeat;
	int64_t heard_ms; /* when its heartbeat last went up */
	enum { ALIVE, SUSPECT, DEAD } state;
};

struct counters {
	unsigned long received, malformed, oversized, sent, elections,
		unverified, lost;
};

struct node {
	/* options */
	uint16_t port;
	uint32_t bind_addr;
	const char *function, *checksum, *keyfile;
	struct client_options co;
	int heartbeat_ms, suspect_ms, dead_ms;
	int loss; /* -L: percent of datagrams dropped on arrival (tests) */
	struct member peers[MAX_PEERS]; /* -n, as given */
	size_t npeers;

	int sock;
	struct member m[MAX_PEERS]; /* everyone known, self first */
	size_t n;
	uint32_t epoch;
	bool elect;	     /* the membership changed: ask again */
	int64_t elect_after; /* not before then (retries) */
	int leader;	     /* -1: none yet */
	struct counters ct;
	EVP_PKEY *pub;
	struct client c;
};

static volatile sig_atomic_t stats_wanted, stop_wanted;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_wanted = 1;
	else
		stop_wanted = 1;
}

/* A heartbeat that keeps growing across restarts: tenths of a second of
 * wall-clock time since 2024, so a node that comes back outranks what the
 * others remember of it. */
static uint32_t
heartbeat_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)((ts.tv_sec - 1704067200) * 10 +
			  ts.tv_nsec / 100000000);
}

/* ---- options ------------------------------------------------------------- */

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* PEER is PORT or HOST:PORT (an IPv4 address); a list may be separated by
 * commas. */
static int
add_peers(struct node *nd, char *arg)
{
	char *save = NULL, *tok, *colon;
	struct in_addr a;

	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct member *p = &nd->peers[nd->npeers];

		if (nd->npeers == MAX_PEERS)
			return -1;
		colon = strrchr(tok, ':');
		a.s_addr = htonl(INADDR_LOOPBACK);
		if (colon) {
			*colon = '\0';
			if (inet_pton(AF_INET, tok, &a) != 1)
				return -1;
		}
		if (parse_port(colon ? colon + 1 : tok, &p->port) < 0)
			return -1;
		p->addr = a.s_addr;
		nd->npeers++;
	}
	return 0;
}

static int
parse_ms(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 10 || v > 600000)
		return -1;
	*out = (int)v;
	return 0;
}

static int
parse_args(struct node *nd, int argc, char **argv)
{
	struct in_addr a;
	int c;

	nd->bind_addr = htonl(INADDR_LOOPBACK);
	nd->keyfile = "public.pem";
	nd->heartbeat_ms = 200;
	nd->suspect_ms = 1000;
	nd->dead_ms = 2000;
	nd->co.timeout_ms = 10000;
	while ((c = getopt(argc, argv, "p:b:n:f:c:u:t:k:H:S:D:IL:h")) != -1) {
		switch (c) {
		case 'p':
			if (parse_port(optarg, &nd->port) < 0)
				goto bad;
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				goto bad;
			nd->bind_addr = a.s_addr;
			break;
		case 'n':
			if (add_peers(nd, optarg) < 0)
				goto bad;
			break;
		case 'f':
			nd->function = optarg;
			break;
		case 'c':
			nd->checksum = optarg;
			break;
		case 'u':
			nd->co.url = optarg;
			break;
		case 't':
			nd->co.token = optarg;
			break;
		case 'k':
			nd->keyfile = optarg;
			break;
		case 'H':
			if (parse_ms(optarg, &nd->heartbeat_ms) < 0)
				goto bad;
			break;
		case 'S':
			if (parse_ms(optarg, &nd->suspect_ms) < 0)
				goto bad;
			break;
		case 'D':
			if (parse_ms(optarg, &nd->dead_ms) < 0)
				goto bad;
			break;
		case 'L':
			nd->loss = atoi(optarg);
			if (nd->loss < 0 || nd->loss > 100)
				goto bad;
			break;
		case 'I':
			/* a token over plain http to another host */
			nd->co.insecure = 1;
			break;
		case 'h':
			fputs(USAGE, stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	/* Peers may also follow the options, as in the seed's -n 5001. */
	for (; optind < argc; optind++)
		if (add_peers(nd, argv[optind]) < 0)
			goto bad;
	if (!nd->port || !nd->function || !nd->checksum ||
	    strlen(nd->checksum) != 64 || client_id_check(nd->function) < 0 ||
	    nd->suspect_ms >= nd->dead_ms || nd->heartbeat_ms >= nd->suspect_ms)
		goto bad;
	return 0;
bad:
	fputs(USAGE, stderr);
	return -1;
}

/* ---- membership ---------------------------------------------------------- */

static struct member *
find(struct node *nd, uint16_t port)
{
	size_t i;

	for (i = 0; i < nd->n; i++)
		if (nd->m[i].port == port)
			return &nd->m[i];
	return NULL;
}

static void
changed(struct node *nd, const char *what, const struct member *m)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &m->addr, a, sizeof(a));
	fprintf(stderr, "fnhost-node %u: %s %u (%s)\n", nd->port, what, m->port,
		a);
	nd->epoch++;
	nd->elect = true;
	nd->elect_after = 0;
}

/* Take in one entry of a peer's gossip. */
static void
merge(struct node *nd, const struct gossip_entry *e, int64_t now)
{
	struct member *m = find(nd, e->port);

	if (e->port == nd->port)
		return;
	if (!m) {
		if (nd->n == MAX_PEERS)
			return;
		m = &nd->m[nd->n++];
		*m = (struct member){ .addr = e->addr,
				      .port = e->port,
				      .heartbeat = e->heartbeat,
				      .heard_ms = now,
				      .state = ALIVE };
		changed(nd, "joined:", m);
		return;
	}
	if (e->heartbeat <= m->heartbeat)
		return; /* old news, also about the dead */
	m->heartbeat = e->heartbeat;
	m->heard_ms = now;
	m->addr = e->addr;
	if (m->state == DEAD) {
		m->state = ALIVE;
		changed(nd, "rejoined:", m);
	} else {
		m->state = ALIVE;
	}
}

static void
receive(struct node *nd, int64_t now)
{
	unsigned char buf[GOSSIP_MAX_BYTES + 1];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct gossip_msg msg;
	const char *why;
	ssize_t len;
	size_t i;

	while ((len = recvfrom(nd->sock, buf, sizeof(buf),
			       MSG_TRUNC | MSG_DONTWAIT,
			       (struct sockaddr *)&from, &fl)) >= 0) {
		nd->ct.received++;
		if (nd->loss && random() % 100 < nd->loss) {
			nd->ct.lost++; /* a lossy link, made on purpose */
			continue;
		}
		if ((size_t)len > GOSSIP_MAX_BYTES) {
			nd->ct.oversized++;
			continue;
		}
		if (gossip_decode(buf, (size_t)len, &msg, &why) < 0) {
			nd->ct.malformed++;
			continue;
		}
		/* The sender is where the datagram came from, whatever it
		 * says of itself. */
		for (i = 0; i < msg.count; i++)
			if (msg.entries[i].port == msg.sender)
				msg.entries[i].addr = from.sin_addr.s_addr;
		if (msg.epoch > nd->epoch)
			nd->epoch = msg.epoch;
		for (i = 0; i < msg.count; i++)
			merge(nd, &msg.entries[i], now);
		fl = sizeof(from);
	}
}

/* Suspect and drop the silent; returns nothing, marks a change. */
static void
expire(struct node *nd, int64_t now)
{
	size_t i;

	for (i = 1; i < nd->n; i++) {
		struct member *m = &nd->m[i];

		if (m->state == DEAD)
			continue;
		if (now - m->heard_ms > nd->dead_ms) {
			m->state = DEAD;
			changed(nd, "dropped silent member", m);
		} else if (now - m->heard_ms > nd->suspect_ms) {
			m->state = SUSPECT;
		}
	}
}

static void
send_to(struct node *nd, uint32_t addr, uint16_t port, const unsigned char *buf,
	size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = addr };

	if (sendto(nd->sock, buf, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) == (ssize_t)len)
		nd->ct.sent++;
}

/* What we know, to FANOUT random members and to every peer not known to
 * be alive (how a node joins, and finds its way back). */
static void
gossip(struct node *nd)
{
	unsigned char buf[GOSSIP_MAX_BYTES];
	size_t i, len, live = 0, idx[MAX_PEERS];
	struct gossip_msg msg = { .sender = nd->port, .epoch = nd->epoch };
	struct member *m;

	nd->m[0].heartbeat = heartbeat_now();
	for (i = 0; i < nd->n; i++) {
		if (nd->m[i].state == DEAD)
			continue;
		msg.entries[msg.count++] = (struct gossip_entry){
			.addr = nd->m[i].addr,
			.port = nd->m[i].port,
			.heartbeat = nd->m[i].heartbeat
		};
		if (i > 0)
			idx[live++] = i;
	}
	len = gossip_encode(&msg, buf);
	for (i = 0; i < FANOUT && live > 0; i++) {
		size_t pick = (size_t)random() % live;

		m = &nd->m[idx[pick]];
		send_to(nd, m->addr, m->port, buf, len);
		idx[pick] = idx[--live];
	}
	for (i = 0; i < nd->npeers; i++) {
		m = find(nd, nd->peers[i].port);
		if (!m || m->state != ALIVE)
			send_to(nd, nd->peers[i].addr, nd->peers[i].port, buf,
				len);
	}
}

/* ---- election ------------------------------------------------------------ */

static int
cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* RSA PKCS#1 v1.5 over SHA-256 of message, as the function signs. */
static int
verify(struct node *nd, const char *message, const char *sig_hex)
{
	unsigned char sig[1024];
	size_t len = strlen(sig_hex);
	EVP_MD_CTX *md;
	int ok;

	/* The function prints lower-case hex; nothing else is its. */
	if (len / 2 > sizeof(sig) || hex_decode(sig, len / 2, sig_hex, len) < 0)
		return -1;
	md = EVP_MD_CTX_new();
	ok = md &&
	     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, nd->pub) == 1 &&
	     EVP_DigestVerify(md, sig, len / 2, (const unsigned char *)message,
			      strlen(message)) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Ask the function who leads the members we know; follow a verified
 * answer.  Returns 0, or -1 when it must be asked again later. */
static int
elect(struct node *nd)
{
	char body[16 + 8 * MAX_PEERS], path[256], err[512];
	struct client_request rq = { .method = "POST",
				     .auth = 1,
				     .content_type = "application/json",
				     .checksum = nd->checksum };
	struct client_response rs;
	uint16_t ids[MAX_PEERS];
	json_object *o = NULL, *msg, *sig;
	size_t i, n = 0, used;
	int ret = -1, leader;

	for (i = 0; i < nd->n; i++)
		if (nd->m[i].state != DEAD)
			ids[n++] = nd->m[i].port;
	qsort(ids, n, sizeof(ids[0]), cmp_port);
	used = (size_t)snprintf(body, sizeof(body), "{\"node_list\": [");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(body + used, sizeof(body) - used,
					 "%s%u", i ? ", " : "", ids[i]);
	snprintf(body + used, sizeof(body) - used, "]}");
	snprintf(path, sizeof(path), "/v1/functions/%s/run", nd->function);
	rq.path = path;
	rq.body = body;
	rq.body_len = strlen(body);
	nd->ct.elections++;
	if (client_call(&nd->c, &rq, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "fnhost-node %u: election: %s\n", nd->port,
			err);
		goto out;
	}
	if (rs.status != 200) {
		char code[64], m[300];

		client_error(&rs, code, sizeof(code), m, sizeof(m));
		fprintf(stderr, "fnhost-node %u: election: %s\n", nd->port,
			client_sanitize(m));
		goto out;
	}
	o = json_tokener_parse(rs.body);
	if (!o || !json_object_object_get_ex(o, "message", &msg) ||
	    !json_object_object_get_ex(o, "signature", &sig) ||
	    !json_object_is_type(msg, json_type_string) ||
	    !json_object_is_type(sig, json_type_string)) {
		fprintf(stderr,
			"fnhost-node %u: election: the answer is not "
			"{\"message\", \"signature\"}\n",
			nd->port);
		goto out;
	}
	leader = atoi(json_object_get_string(msg));
	if (verify(nd, json_object_get_string(msg),
		   json_object_get_string(sig)) < 0) {
		nd->ct.unverified++;
		printf("leader %d term %u NOT VERIFIED: the signature does not "
		       "hold with %s; not followed\n",
		       leader, nd->epoch, nd->keyfile);
		ret = 0; /* asking again gets the same answer */
		goto out;
	}
	if (leader != nd->leader) {
		nd->leader = leader;
		printf("leader %d term %u verified\n", leader, nd->epoch);
		if (leader == nd->port)
			printf("I AM THE LEADER\n");
	}
	ret = 0;
out:
	json_object_put(o);
	client_response_free(&rs);
	return ret;
}

/* ---- main ---------------------------------------------------------------- */

static void
stats(const struct node *nd)
{
	size_t i, live = 0;

	for (i = 0; i < nd->n; i++)
		live += nd->m[i].state != DEAD;
	fprintf(stderr,
		"fnhost-node %u: members %zu epoch %u leader %d received %lu "
		"malformed %lu oversized %lu sent %lu elections %lu "
		"unverified %lu lost %lu\n",
		nd->port, live, nd->epoch, nd->leader, nd->ct.received,
		nd->ct.malformed, nd->ct.oversized, nd->ct.sent,
		nd->ct.elections, nd->ct.unverified, nd->ct.lost);
}

static int
setup(struct node *nd)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(nd->port),
				 .sin_addr.s_addr = nd->bind_addr };
	char err[512];
	FILE *f;

	f = fopen(nd->keyfile, "r");
	nd->pub = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!nd->pub) {
		fprintf(stderr, "fnhost-node: cannot read the public key %s\n",
			nd->keyfile);
		return -1;
	}
	if (client_init(&nd->c, &nd->co, err, sizeof(err)) < 0) {
		fprintf(stderr, "fnhost-node: %s\n", err);
		return -1;
	}
	nd->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nd->sock < 0 ||
	    bind(nd->sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "fnhost-node: cannot bind UDP port %u: %s\n",
			nd->port, strerror(errno));
		return -1;
	}
	nd->m[0] = (struct member){ .addr = nd->bind_addr,
				    .port = nd->port,
				    .heartbeat = heartbeat_now(),
				    .state = ALIVE };
	nd->n = 1;
	nd->leader = -1;
	/* The first election waits a suspicion period for the peers. */
	nd->elect = true;
	nd->elect_after = clock_now_ms() + nd->suspect_ms;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct node nd;
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd;
	int64_t now, next;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(&nd, argc, argv) < 0)
		return 2;
	if (setup(&nd) < 0)
		return 1;
	srandom((unsigned int)(clock_now_ms() ^ nd.port));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pfd.fd = nd.sock;
	pfd.events = POLLIN;
	next = clock_now_ms();
	while (!stop_wanted) {
		now = clock_now_ms();
		if (now >= next) {
			expire(&nd, now);
			gossip(&nd);
			next = now + nd.heartbeat_ms;
		}
		if (nd.elect && now >= nd.elect_after) {
			nd.elect = false;
			if (elect(&nd) < 0) {
				nd.elect = true;
				nd.elect_after = now + RETRY_MS;
			}
		}
		if (stats_wanted) {
			stats_wanted = 0;
			stats(&nd);
		}
		if (poll(&pfd, 1, (int)(next - now > 0 ? next - now : 0)) > 0)
			receive(&nd, clock_now_ms());
	}
	stats(&nd);
	client_free(&nd.c);
	EVP_PKEY_free(nd.pub);
	close(nd.sock);
	return 0;
}
