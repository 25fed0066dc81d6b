/* The promises of the header's contract, checked from C by tests/plugin/c_host.rs.
 *
 *   contract REPORT_FILE            the contract: BUSY for a re-entrant call, a panic is
 *                                   CLIPVG_STATUS_PANIC, statuses by cause, bounded escaped
 *                                   messages, GPU probing; run with XDG_RUNTIME_DIR unset
 *   contract REPORT_FILE deep       a 100,000-deep <g> and a path of 100,000 `z` on a thread with
 *                                   a 256 KB stack: success or a clean error status
 *
 * The report goes to REPORT_FILE, never to stdout or stderr: those belong to the library, which
 * must leave them empty. Exit status 0 only when every check passed. A deadlock is ended by
 * alarm() (SIGALRM kills the process), so a hang fails the test instead of hanging it. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipvg.h"

static FILE *report;
static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    checks++;                                                              \
    if (cond) {                                                            \
      fprintf(report, "ok   %s\n", #cond);                                 \
    } else {                                                               \
      failures++;                                                          \
      fprintf(report, "FAIL %s (line %d): ", #cond, __LINE__);             \
      fprintf(report, __VA_ARGS__);                                        \
      fprintf(report, "\n");                                               \
    }                                                                      \
    fflush(report);                                                        \
  } while (0)

static const char SVG[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"32\">"
    "<path id=\"a\" d=\"M4 4 L20 4 L20 20 Z\" fill=\"#ff0000\"/></svg>";

/* One run; the status, the message (copied, at most message_size - 1 bytes) and its full length. */
static ClipvgStatus runl(ClipvgEngine *engine, const char *action, size_t action_len, const char *request,
                        const char *svg, size_t svg_len, const ClipvgStr *selected, size_t selected_len,
                        ClipvgProgressFn progress, void *user_data, char *message, size_t message_size,
                        size_t *message_len) {
  ClipvgResult *result = NULL;
  ClipvgError *error = NULL;
  ClipvgStatus status = clipvg_run(engine, action, action_len, request, request ? strlen(request) : 0, svg, svg_len,
                                   selected, selected_len, progress, user_data, &result, &error);
  message[0] = '\0';
  if (message_len != NULL) *message_len = 0;
  if (error != NULL) {
    size_t len = 0;
    const char *text = clipvg_error_message(error, &len);
    snprintf(message, message_size, "%.*s", (int)len, text);
    if (message_len != NULL) *message_len = len;
    clipvg_error_free(error);
  }
  clipvg_result_free(result);
  return status;
}

/* runl() for an action given as a C string. */
static ClipvgStatus run(ClipvgEngine *engine, const char *action, const char *request, const char *svg,
                       size_t svg_len, const ClipvgStr *selected, size_t selected_len, ClipvgProgressFn progress,
                       void *user_data, char *message, size_t message_size, size_t *message_len) {
  return runl(engine, action, strlen(action), request, svg, svg_len, selected, selected_len, progress, user_data,
              message, message_size, message_len);
}

/* Whether the message has no raw control byte (C0 or DEL). */
static bool clean(const char *message) {
  for (const unsigned char *p = (const unsigned char *)message; *p; p++)
    if (*p < 0x20 || *p == 0x7f) return false;
  return true;
}

/* Progress callback that calls clipvg_run on the same engine again. */
struct reentry {
  ClipvgEngine *engine;
  int calls;
  ClipvgStatus inner;
  char message[512];
};

static bool call_again(void *user_data, double fraction, const char *message, size_t message_len) {
  struct reentry *r = user_data;
  (void)fraction;
  (void)message;
  (void)message_len;
  r->calls++;
  r->inner = run(r->engine, "inspect", NULL, SVG, strlen(SVG), NULL, 0, NULL, NULL, r->message,
                 sizeof r->message, NULL);
  return false;
}

/* Progress callback that frees its own engine. */
static bool free_engine(void *user_data, double fraction, const char *message, size_t message_len) {
  ClipvgEngine **engine = user_data;
  (void)fraction;
  (void)message;
  (void)message_len;
  if (*engine != NULL) {
    clipvg_engine_free(*engine);
    *engine = NULL;
  }
  return false;
}

static int contract(void) {
  char message[4096];
  size_t len = 0;
  ClipvgEngine *engine = NULL;
  CHECK(clipvg_engine_new(NULL, 0, &engine, NULL) == CLIPVG_STATUS_OK, "engine_new failed");

  /* 1. A call from the progress callback on the same engine: BUSY at once, the outer run fine. */
  struct reentry r = {engine, 0, CLIPVG_STATUS_OK, ""};
  ClipvgStatus status = run(engine, "inspect", NULL, SVG, strlen(SVG), NULL, 0, call_again, &r, message,
                            sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK, "outer run: %d: %s", status, message);
  CHECK(r.calls > 0 && r.inner == CLIPVG_STATUS_BUSY, "re-entrant call: %d calls, status %d: %s", r.calls, r.inner,
        r.message);
  CHECK(strstr(r.message, "busy") != NULL && clean(r.message), "busy message: %s", r.message);
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), NULL, 0, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK, "the engine works after BUSY: %d: %s", status, message);

  /* An engine freed from its own progress callback is freed when the run returns. */
  ClipvgEngine *doomed = NULL;
  clipvg_engine_new(NULL, 0, &doomed, NULL);
  status = run(doomed, "inspect", NULL, SVG, strlen(SVG), NULL, 0, free_engine, &doomed, message,
               sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK && doomed == NULL, "run that freed its engine: %d: %s", status, message);

  /* 2. A bug: CLIPVG_STATUS_PANIC with "internal error: ...", printed nowhere, engine usable. */
  status = run(engine, "test-panic", NULL, SVG, strlen(SVG), NULL, 0, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_PANIC && strncmp(message, "internal error: ", 16) == 0 &&
            strstr(message, "test panic on the calling thread") != NULL,
        "panic: %d: %s", status, message);
  ClipvgStr worker[1] = {{"worker", 6}};
  status = run(engine, "test-panic", NULL, SVG, strlen(SVG), worker, 1, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_PANIC && strstr(message, "test panic on a worker thread") != NULL,
        "panic on a worker: %d: %s", status, message);
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), NULL, 0, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK, "the engine works after a panic: %d: %s", status, message);

  /* 3. Statuses by cause. */
  status = run(engine, "render", "{\"render_size\":32,\"limits\":{\"render_pixels\":100}}", SVG, strlen(SVG), NULL,
               0, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_LIMIT_EXCEEDED && strstr(message, "render_pixels") != NULL,
        "over a limit: %d: %s", status, message);
  status = run(engine, "inspect", "{\"limits\":{\"depht\":5}}", SVG, strlen(SVG), NULL, 0, NULL, NULL, message,
               sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && strstr(message, "depht") != NULL, "unknown limit: %d: %s", status,
        message);
  char model_dir[] = "/tmp/clipvg-empty-model-XXXXXX";
  CHECK(mkdtemp(model_dir) != NULL, "mkdtemp");
  char request[512];
  snprintf(request, sizeof request, "{\"prompt\":\"gold\",\"model\":\"%s\"}", model_dir);
  ClipvgStr a[1] = {{"a", 1}};
  status = run(engine, "edit", request, SVG, strlen(SVG), a, 1, NULL, NULL, message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_MODEL_MISSING && strstr(message, model_dir) != NULL, "empty model folder: %d: %s",
        status, message);
  rmdir(model_dir);

  /* 4. Messages: control characters escaped, bounded, whatever the input. */
  size_t big = (size_t)1 << 20;
  char *huge = malloc(big);
  memset(huge, 'x', big);
  memcpy(huge, "\x1b[31m\n\x07", 7);
  status = runl(engine, huge, big, NULL, SVG, strlen(SVG), NULL, 0, NULL, NULL, message, sizeof message, &len);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && len <= 300 && clean(message) && strstr(message, "\\u{1b}[31m") != NULL,
        "1 MiB action name: %d, %zu bytes: %.200s", status, len, message);
  ClipvgStr long_id[1] = {{huge, big}};
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), long_id, 1, NULL, NULL, message, sizeof message, &len);
  CHECK(status == CLIPVG_STATUS_INVALID_SELECTION && len <= 300 && clean(message), "1 MiB id: %d, %zu bytes: %.200s",
        status, len, message);
  char *field = malloc(big + 16);
  snprintf(field, big + 16, "{\"%.*s\":1}", (int)(big - 16), huge + 7); /* no raw controls: valid JSON */
  status = run(engine, "inspect", field, SVG, strlen(SVG), NULL, 0, NULL, NULL, message, sizeof message, &len);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && len <= 2051 && clean(message),
        "1 MiB field name: %d, %zu bytes: %.200s", status, len, message);
  free(field);
  free(huge);

  /* 5. GPU probing says nothing (the test runs this without XDG_RUNTIME_DIR): the auto backend
   * probes the adapters; the gpu backend brings the tensor runtime up (an error is fine here,
   * on a machine without any Vulkan driver; only silence is checked, by the test). */
  status = run(engine, "render", "{\"render_size\":32}", SVG, strlen(SVG), NULL, 0, NULL, NULL, message,
               sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK, "render on auto: %d: %s", status, message);
  status = run(engine, "render", "{\"render_size\":32,\"backend\":\"gpu\"}", SVG, strlen(SVG), NULL, 0, NULL, NULL,
               message, sizeof message, NULL);
  CHECK(status == CLIPVG_STATUS_OK || status == CLIPVG_STATUS_GPU, "render on gpu: %d: %s", status, message);

  clipvg_engine_free(engine);
  return 0;
}

/* ---- deep documents on a small stack ---- */

struct deep_run {
  const char *action;
  char *svg;
  ClipvgStatus status;
  char message[512];
};

static void *deep_thread(void *arg) {
  struct deep_run *d = arg;
  ClipvgEngine *engine = NULL;
  const char *options = "{\"backend\":\"cpu\"}";
  d->status = clipvg_engine_new(options, strlen(options), &engine, NULL);
  if (d->status == CLIPVG_STATUS_OK)
    d->status = run(engine, d->action, "{\"render_size\":64}", d->svg, strlen(d->svg), NULL, 0,
                    NULL, NULL, d->message, sizeof d->message, NULL);
  clipvg_engine_free(engine);
  return NULL;
}

/* Runs `action` on `svg` on a thread with a 256 KB stack; a stack overflow kills the process. */
static ClipvgStatus on_small_stack(const char *action, char *svg, char *message, size_t message_size) {
  struct deep_run d = {action, svg, CLIPVG_STATUS_OK, ""};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  if (pthread_create(&thread, &attr, deep_thread, &d) != 0) return CLIPVG_STATUS_INVALID_ARGUMENT;
  pthread_join(thread, NULL);
  pthread_attr_destroy(&attr);
  snprintf(message, message_size, "%s", d.message);
  return d.status;
}

static bool clean_outcome(ClipvgStatus s) {
  return s == CLIPVG_STATUS_OK || s == CLIPVG_STATUS_LIMIT_EXCEEDED || s == CLIPVG_STATUS_INVALID_DOCUMENT;
}

static int deep(void) {
  const size_t n = 100000;
  const char *head = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">";
  const char *leaf = "<path d=\"M1 1 L9 9 L1 9\"/>";
  char *svg = malloc(strlen(head) + n * 7 + strlen(leaf) + 16);
  char *p = svg;
  p += sprintf(p, "%s", head);
  for (size_t i = 0; i < n; i++) p += sprintf(p, "<g>");
  p += sprintf(p, "%s", leaf);
  for (size_t i = 0; i < n; i++) p += sprintf(p, "</g>");
  sprintf(p, "</svg>");
  char message[512];
  const char *actions[2] = {"inspect", "render"};
  for (int i = 0; i < 2; i++) {
    ClipvgStatus status = on_small_stack(actions[i], svg, message, sizeof message);
    CHECK(clean_outcome(status), "100,000-deep <g>, %s: %d: %s", actions[i], status, message);
  }
  free(svg);

  svg = malloc(strlen(head) + n + 128);
  p = svg;
  p += sprintf(p, "%s<path id=\"z\" d=\"M1 1 L9 9 L1 9", head);
  memset(p, 'z', n);
  p += n;
  sprintf(p, "\"/></svg>");
  for (int i = 0; i < 2; i++) {
    ClipvgStatus status = on_small_stack(actions[i], svg, message, sizeof message);
    CHECK(clean_outcome(status), "path of 100,000 z, %s: %d: %s", actions[i], status, message);
  }
  free(svg);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  report = fopen(argv[1], "w");
  if (report == NULL) return 2;
  alarm(300); /* a deadlock ends the process (SIGALRM) instead of hanging the test */
  if (argc > 2 && strcmp(argv[2], "deep") == 0)
    deep();
  else
    contract();
  fprintf(report, "%d passed, %d failed\n", checks - failures, failures);
  fclose(report);
  return failures == 0 ? 0 : 1;
}
