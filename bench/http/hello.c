/*
 * The ceiling for bench/http/bench.sh: the smallest libmicrohttpd server,
 * with the daemon flags gradscope uses (docs/http-server.md),
 * answering every request with the same ~600-byte JSON body (the size of a
 * gradscope job summary) from one prebuilt response.
 *
 *   cc -O2 -o bench/http/hello bench/http/hello.c $(pkg-config --cflags --libs libmicrohttpd)
 *   bench/http/hello PORT [THREADS]     # THREADS > 1: MHD_OPTION_THREAD_POOL_SIZE
 *
 * Binds 127.0.0.1 only; runs until SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

static const char BODY[] =
    "{\"id\":\"j-000001\",\"name\":\"bench xor\",\"status\":\"completed\","
    "\"created_at\":\"2026-01-01T00:00:00Z\",\"started_at\":\"2026-01-01T00:00:00Z\","
    "\"finished_at\":\"2026-01-01T00:00:01Z\",\"step\":50,\"total_steps\":50,"
    "\"verdict\":\"healthy\",\"error\":null,"
    "\"spec\":{\"data\":{\"source\":\"xor\",\"samples\":200},\"mlp\":{\"depth\":2,\"width\":8},"
    "\"optimizer\":{\"type\":\"sgd\",\"lr\":0.1},\"training\":{\"steps\":50}},"
    "\"summary\":null,"
    "\"links\":{\"self\":\"/api/jobs/j-000001\",\"events\":\"/api/jobs/j-000001/events\","
    "\"steps\":\"/api/jobs/j-000001/steps\",\"report\":\"/api/jobs/j-000001/report\","
    "\"checkpoint\":\"/api/jobs/j-000001/checkpoint\",\"export\":\"/api/jobs/j-000001/export.csv\","
    "\"cancel\":\"/api/jobs/j-000001/cancel\"}}";

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static MHD_Result_t on_request(void *cls, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls) {
  (void)url; (void)method; (void)version; (void)upload_data;
  static int first_call_marker;
  /* First call (headers only): no response yet, as gradscope does; then
   * consume any body, and answer on the final call (docs/http-server.md,
   * "Requests and bodies"). */
  if (*con_cls == NULL) {
    *con_cls = &first_call_marker;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  struct MHD_Response *response = (struct MHD_Response *)cls;
  return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
    return 2;
  }
  long port = strtol(argv[1], NULL, 10);
  long threads = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
  if (port <= 0 || port > 65535 || threads < 1 || threads > 256) {
    fprintf(stderr, "hello: bad PORT or THREADS\n");
    return 2;
  }

  struct MHD_Response *response = MHD_create_response_from_buffer(
      sizeof(BODY) - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, "Content-Type", "application/json");

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD |
                       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
  struct MHD_Daemon *daemon = MHD_start_daemon(
      flags, (uint16_t)port, NULL, NULL, on_request, response,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(threads > 1 ? threads : 0),
      MHD_OPTION_END);
  if (daemon == NULL) {
    fprintf(stderr, "hello: cannot start on 127.0.0.1:%ld\n", port);
    MHD_destroy_response(response);
    return 1;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  fprintf(stderr, "hello: listening on 127.0.0.1:%ld, %zu-byte body, %ld thread(s)\n",
          port, sizeof(BODY) - 1, threads);
  while (!stop_requested) pause();

  MHD_stop_daemon(daemon);
  MHD_destroy_response(response);
  return 0;
}
