/*
 * floor-server: the least a durable approval server can do, as a yardstick for `server-bench approve`.
 *
 * It answers the few commands server-bench sends (AUTH, USER ADD, SUBMIT, NEXT, APPROVE, STATS) with replies shaped
 * like riskgate's, on the same architecture as `riskgate serve` with none of its work: two epoll event-loop threads
 * (NIO's default on this 2-core machine) and one writer thread that group-commits. Every SUBMIT, NEXT and APPROVE is
 * a record appended with pwrite to a log file and answered only after the writer's fdatasync of that file, exactly
 * the durability contract of riskgate's replies (RELIABILITY D2); no SQLite, no rules, no JSON, no audit chain.
 * AUTH and USER ADD accept anything. NEXT hands out case numbers 0..<cases (cases = the number of queued SUBMITs).
 *
 * Run through server-bench, which starts it as it starts riskgate (`serve --db PATH --port 0 …`; the log file goes
 * next to PATH; the banner gives the port and credentials the bench reads):
 *
 *     cc -O2 -pthread -o /tmp/floor-server benchmarks/floor/floor-server.c
 *     benchmarks/.build/release/server-bench approve --cases 10000 --approvers 200 --think-ms 500 \
 *         --riskgate /tmp/floor-server
 *
 * FLOOR_SYNC=0 in the environment skips the fdatasync (the loopback and scheduling floor without the disk).
 * FLOOR_WORK_US=N spins N µs of CPU on the writer per durable action, standing in for a store's own work
 * (riskgate's writer spends about 450 µs of CPU per NEXT or APPROVE).
 * FLOOR_PIPELINE=1 moves the sync and the answers to a syncer thread, so the writer works on the next group while
 * the last one is being synced (a group is still answered only after a sync that covers it).
 * This is benchmark tooling only: it stores nothing anyone reads back.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOOPS 2
#define LINE_MAX_BYTES 65536
#define LOG_BYTES (16 << 20) /* written out at start, so that a sync never has to change the file's size or extents */

enum kind { IMMEDIATE, SUBMIT, NEXT, APPROVE };

struct connection;

struct action {
    struct action *next;
    struct connection *connection;
    struct action *fifo; /* the connection's next action, in request order */
    enum kind kind;
    int ready;           /* its reply may be sent (set on the connection's loop) */
    char reply[192];
};

struct loop {
    int epoll;
    int wake; /* eventfd: the writer has finished actions for this loop */
    pthread_mutex_t lock;
    struct action *done; /* finished actions, newest first */
};

struct connection {
    int fd;
    struct loop *loop;
    char in[LINE_MAX_BYTES];
    size_t used;
    char *out;
    size_t out_used, out_capacity;
    struct action *fifo_head, *fifo_tail; /* actions not yet answered, in request order */
};

/* A list of actions handed from threads to one consumer thread. */
struct handoff {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct action *head, *tail;
};
#define HANDOFF_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL}

static struct loop loops[LOOPS];
static struct handoff to_writer = HANDOFF_INIT;
static struct handoff to_syncer = HANDOFF_INIT; /* FLOOR_PIPELINE=1 only */
static int log_fd = -1;
static int sync_enabled = 1;
static int pipeline; /* FLOOR_PIPELINE=1: a syncer thread syncs while the writer works on the next group */
static long work_ns; /* FLOOR_WORK_US: CPU spent per durable action on the writer, as a store's own work would */
static atomic_long queued_cases, next_case, approved;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void append_out(struct connection *c, const char *text) {
    size_t length = strlen(text);
    if (c->out_used + length + 1 > c->out_capacity) {
        c->out_capacity = (c->out_used + length + 1) * 2;
        c->out = realloc(c->out, c->out_capacity);
        if (!c->out) die("realloc");
    }
    memcpy(c->out + c->out_used, text, length);
    c->out_used += length;
    c->out[c->out_used++] = '\n';
}

static void flush_out(struct connection *c) {
    size_t sent = 0;
    while (sent < c->out_used) {
        ssize_t n = write(c->fd, c->out + sent, c->out_used - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* a full socket buffer: the rest goes with the connection's next flush (the bench reads
                              * everything, so this is rare and short) */
        sent += (size_t)n;
    }
    memmove(c->out, c->out + sent, c->out_used - sent);
    c->out_used -= sent;
}

/* Replies leave in request order: every action joins its connection's FIFO, and the ready ones at its head go out. */
static void push(struct connection *c, struct action *a) {
    a->fifo = NULL;
    if (c->fifo_tail) c->fifo_tail->fifo = a; else c->fifo_head = a;
    c->fifo_tail = a;
}

static void release_ready(struct connection *c) {
    while (c->fifo_head && c->fifo_head->ready) {
        struct action *a = c->fifo_head;
        c->fifo_head = a->fifo;
        if (!c->fifo_head) c->fifo_tail = NULL;
        append_out(c, a->reply);
        free(a);
    }
}

/* Appends the chain of actions starting at `first` (linked by `next`, ending in NULL) and wakes the consumer. */
static void hand_off(struct handoff *h, struct action *first) {
    struct action *last = first;
    while (last->next) last = last->next;
    pthread_mutex_lock(&h->lock);
    if (h->tail) h->tail->next = first; else h->head = first;
    h->tail = last;
    pthread_cond_signal(&h->ready);
    pthread_mutex_unlock(&h->lock);
}

/* Waits for actions and takes all of them, in order. */
static struct action *take_all(struct handoff *h) {
    pthread_mutex_lock(&h->lock);
    while (!h->head) pthread_cond_wait(&h->ready, &h->lock);
    struct action *all = h->head;
    h->head = h->tail = NULL;
    pthread_mutex_unlock(&h->lock);
    return all;
}

static void enqueue(struct action *a) {
    a->next = NULL;
    hand_off(&to_writer, a);
}

static int starts(const char *line, const char *word) { return strncmp(line, word, strlen(word)) == 0; }

static void handle_line(struct connection *c, char *line) {
    struct action *a = calloc(1, sizeof *a);
    if (!a) die("calloc");
    a->connection = c;
    a->kind = IMMEDIATE;
    if (starts(line, "AUTH ")) {
        snprintf(a->reply, sizeof a->reply, "OK {\"user\":\"x\"}");
    } else if (starts(line, "USER ADD ")) {
        snprintf(a->reply, sizeof a->reply, "OK {\"password\":\"floor-password\",\"totp_secret\":\"JBSWY3DPEHPK3PXP\"}");
    } else if (starts(line, "SUBMIT ")) {
        a->kind = SUBMIT;
    } else if (strcmp(line, "NEXT") == 0) {
        long number = atomic_fetch_add(&next_case, 1);
        if (number >= atomic_load(&queued_cases)) {
            snprintf(a->reply, sizeof a->reply, "ERR not-found the queue is empty");
        } else {
            a->kind = NEXT;
            snprintf(a->reply, sizeof a->reply, "OK {\"case_id\":\"C-%ld\",\"token\":\"t%ld\",\"status\":\"claimed\"}",
                     number, number);
        }
    } else if (starts(line, "APPROVE ")) {
        a->kind = APPROVE;
    } else if (strcmp(line, "STATS") == 0) {
        snprintf(a->reply, sizeof a->reply, "OK {\"approved\":%ld}", atomic_load(&approved));
    } else {
        snprintf(a->reply, sizeof a->reply, "ERR unknown-command");
    }
    push(c, a);
    if (a->kind == IMMEDIATE) {
        a->ready = 1;
        release_ready(c);
    } else {
        enqueue(a);
    }
}

static void close_connection(struct connection *c) {
    epoll_ctl(c->loop->epoll, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1; /* the writer may still hold actions for it: leaked on purpose, the bench closes at the end */
}

static void read_connection(struct connection *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->used, sizeof c->in - c->used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) { close_connection(c); return; }
        c->used += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < c->used; i++) {
            if (c->in[i] != '\n') continue;
            c->in[i] = 0;
            if (i > start && c->in[i - 1] == '\r') c->in[i - 1] = 0;
            handle_line(c, c->in + start);
            start = i + 1;
        }
        memmove(c->in, c->in + start, c->used - start);
        c->used -= start;
        if (c->used == sizeof c->in) { close_connection(c); return; }
    }
    flush_out(c);
}

static void *loop_main(void *argument) {
    struct loop *loop = argument;
    struct epoll_event events[256];
    for (;;) {
        int count = epoll_wait(loop->epoll, events, 256, -1);
        for (int i = 0; i < count; i++) {
            if (events[i].data.ptr == NULL) {
                uint64_t value;
                if (read(loop->wake, &value, sizeof value) < 0) { /* spurious */ }
                pthread_mutex_lock(&loop->lock);
                struct action *done = loop->done;
                loop->done = NULL;
                pthread_mutex_unlock(&loop->lock);
                /* Oldest first, so replies on one connection keep their order. */
                struct action *reversed = NULL;
                while (done) { struct action *n = done->next; done->next = reversed; reversed = done; done = n; }
                struct connection *touched[256];
                int touched_count = 0;
                while (reversed) {
                    struct action *a = reversed;
                    reversed = a->next;
                    struct connection *c = a->connection;
                    if (c->fd < 0) continue; /* closed: its actions are leaked on purpose (see close_connection) */
                    a->ready = 1;
                    release_ready(c);
                    int seen = 0;
                    for (int t = 0; t < touched_count; t++) if (touched[t] == c) { seen = 1; break; }
                    if (!seen) {
                        if (touched_count == 256) { for (int t = 0; t < touched_count; t++) flush_out(touched[t]); touched_count = 0; }
                        touched[touched_count++] = c;
                    }
                }
                for (int t = 0; t < touched_count; t++) flush_out(touched[t]);
            } else {
                read_connection(events[i].data.ptr);
            }
        }
    }
    return NULL;
}

/* Spins on the CPU for `nanoseconds` of thread CPU time (time the host steals does not count). */
static void burn(long nanoseconds) {
    struct timespec start, now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    volatile unsigned long sink = 0;
    do {
        for (int i = 0; i < 200; i++) sink += (unsigned long)i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < nanoseconds);
}

/* Hands every action back to its connection's loop, then wakes each loop once. */
static void hand_back(struct action *group) {
    int wake[LOOPS] = {0};
    while (group) {
        struct action *a = group;
        group = a->next;
        struct loop *loop = a->connection->loop;
        pthread_mutex_lock(&loop->lock);
        a->next = loop->done;
        loop->done = a;
        pthread_mutex_unlock(&loop->lock);
        wake[loop - loops] = 1;
    }
    for (int l = 0; l < LOOPS; l++) {
        if (!wake[l]) continue;
        uint64_t one = 1;
        if (write(loops[l].wake, &one, sizeof one) < 0) die("eventfd write");
    }
}

/* FLOOR_PIPELINE=1: one fdatasync covers every group written since the last, then they are answered. */
static void *syncer_main(void *argument) {
    (void)argument;
    for (;;) {
        struct action *groups = take_all(&to_syncer);
        if (sync_enabled && fdatasync(log_fd) != 0) die("fdatasync");
        hand_back(groups);
    }
    return NULL;
}

static void *writer_main(void *argument) {
    (void)argument;
    char record[256];
    memset(record, 'r', sizeof record);
    off_t offset = 0;
    for (;;) {
        struct action *group = take_all(&to_writer);

        for (struct action *a = group; a; a = a->next) {
            if (work_ns > 0) burn(work_ns);
            if (offset + (off_t)sizeof record > LOG_BYTES) offset = 0; /* a WAL restarted after a checkpoint */
            if (pwrite(log_fd, record, sizeof record, offset) != (ssize_t)sizeof record) die("pwrite");
            offset += sizeof record;
            if (a->kind == SUBMIT) {
                long number = atomic_fetch_add(&queued_cases, 1);
                snprintf(a->reply, sizeof a->reply,
                         "OK {\"application_id\":\"CASE-%ld\",\"disposition\":\"created\",\"outcome\":\"referred\","
                         "\"case_status\":\"queued\"}", number);
            } else if (a->kind == APPROVE) {
                atomic_fetch_add(&approved, 1);
                snprintf(a->reply, sizeof a->reply, "OK {\"status\":\"approved\"}");
            }
        }
        if (pipeline) {
            /* The next group's work overlaps this group's sync: the syncer thread syncs and answers. */
            hand_off(&to_syncer, group);
            continue;
        }
        if (sync_enabled && fdatasync(log_fd) != 0) die("fdatasync");
        hand_back(group);
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *db = "floor.sqlite";
    for (int i = 1; i + 1 < argc; i++) if (strcmp(argv[i], "--db") == 0) db = argv[i + 1];
    const char *sync = getenv("FLOOR_SYNC");
    sync_enabled = !(sync && strcmp(sync, "0") == 0);
    const char *work = getenv("FLOOR_WORK_US");
    work_ns = work ? atol(work) * 1000L : 0;
    const char *pipelined = getenv("FLOOR_PIPELINE");
    pipeline = pipelined && strcmp(pipelined, "1") == 0;
    char path[4096];
    snprintf(path, sizeof path, "%s.floor-log", db);
    log_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (log_fd < 0) die("open log");
    static char zeros[1 << 20];
    for (int i = 0; i < LOG_BYTES / (int)sizeof zeros; i++)
        if (write(log_fd, zeros, sizeof zeros) != (ssize_t)sizeof zeros) die("write log");
    if (fsync(log_fd) != 0) die("fsync log");
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) die("bind");
    if (listen(listener, 1024) != 0) die("listen");
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);

    for (int l = 0; l < LOOPS; l++) {
        loops[l].epoll = epoll_create1(0);
        loops[l].wake = eventfd(0, EFD_NONBLOCK);
        pthread_mutex_init(&loops[l].lock, NULL);
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(loops[l].epoll, EPOLL_CTL_ADD, loops[l].wake, &event);
        pthread_t thread;
        pthread_create(&thread, NULL, loop_main, &loops[l]);
    }
    pthread_t writer;
    pthread_create(&writer, NULL, writer_main, NULL);
    if (pipeline) {
        pthread_t syncer;
        pthread_create(&syncer, NULL, syncer_main, NULL);
    }

    printf("riskgate: listening on [IPv4]127.0.0.1/127.0.0.1:%d\n", ntohs(address.sin_port));
    printf("  first administrator\n    password: floor-admin\n    TOTP secret: JBSWY3DPEHPK3PXP\n");
    printf("floor-server (sync %s, %ld µs of work per action). Stop with Ctrl-C\n", sync_enabled ? "on" : "off", work_ns / 1000);
    fflush(stdout);

    for (int accepted = 0;; accepted++) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) { if (errno == EINTR) continue; die("accept"); }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *c = calloc(1, sizeof *c);
        if (!c) die("calloc");
        c->fd = fd;
        c->loop = &loops[accepted % LOOPS];
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(c->loop->epoll, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
    }
}
