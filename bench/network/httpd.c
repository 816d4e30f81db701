/* A tiny keep-alive HTTP/1.1 server for bench/network: epoll, one thread, a fixed 13-byte
 * answer to every request. Built statically by run.py and copied into a scratch image, so what
 * the benchmark measures is the network path, not the server. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kAnswer[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, berth\n";

int main(int argc, char** argv) {
    int port = argc > 1 ? atoi(argv[1]) : 80;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (bind(ls, (struct sockaddr*)&a, sizeof a) || listen(ls, 1024)) {
        perror("listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    char buf[16384];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                close(fd);
                continue;
            }
            /* One answer per request in what arrived (wrk pipelines nothing by default). */
            int reqs = 0;
            for (ssize_t j = 3; j < r; j++)
                if (buf[j - 3] == '\r' && buf[j - 2] == '\n' && buf[j - 1] == '\r' && buf[j] == '\n')
                    reqs++;
            for (int k = 0; k < (reqs ? reqs : 1); k++)
                if (write(fd, kAnswer, sizeof kAnswer - 1) < 0) break;
        }
    }
}
