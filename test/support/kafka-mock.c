/* A librdkafka mock cluster for the Kafka tests: prints "bootstrap <servers>" and then "ready", creates the topics
 * named on the command line (name[:partitions]), and serves until stdin closes or SIGTERM/SIGINT. Commands on
 * stdin, one a line: "down" / "up" take every broker away (connections closed, new ones dropped) and back;
 * each answers "ok <command>". */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  char errstr[512];
  int brokers = 1, i;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  char line[256];

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }
  for (i = 1; i < argc; i++) {
    char name[200];
    int partitions = 1;
    char *colon = strchr(argv[i], ':');
    size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, argv[i], len);
    name[len] = 0;
    if (colon) partitions = atoi(colon + 1);
    if (rd_kafka_mock_topic_create(mc, name, partitions, 1)) {
      fprintf(stderr, "cannot create topic %s\n", name);
      return 1;
    }
  }
  printf("bootstrap %s\nready\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  while (!stop && fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = 0;
    if (strcmp(line, "down") == 0 || strcmp(line, "up") == 0) {
      int b;
      for (b = 1; b <= brokers; b++) {
        if (line[0] == 'd') rd_kafka_mock_broker_set_down(mc, b);
        else rd_kafka_mock_broker_set_up(mc, b);
      }
      printf("ok %s\n", line);
    } else {
      printf("error unknown command %s\n", line);
    }
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
