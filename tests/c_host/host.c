/* A small C host of the clipvg C ABI, built against include/clipvg.h and linked with the cdylib
 * by tests/plugin/c_host.rs. It runs `inspect`, `render`, an `edit` with the tiny CLIP model
 * whose folder is argv[1], and every error path a careless host can hit, and prints one line per
 * check; exit status 0 only when every check passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipvg.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    checks++;                                                              \
    if (cond) {                                                            \
      printf("ok   %s\n", #cond);                                          \
    } else {                                                               \
      failures++;                                                          \
      printf("FAIL %s (line %d): ", #cond, __LINE__);                      \
      printf(__VA_ARGS__);                                                 \
      printf("\n");                                                        \
    }                                                                      \
  } while (0)

static const char SVG[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"32\">"
    "<path id=\"a\" d=\"M4 4 L20 4 L20 20 Z\" fill=\"#ff0000\"/>"
    "<g id=\"g\"><rect id=\"b\" x=\"30\" y=\"4\" width=\"10\" height=\"10\" fill=\"blue\"/></g>"
    "</svg>";

/* Progress: counts calls, remembers the last fraction, cancels when asked to. */
struct progress_state {
  int calls;
  double last_fraction;
  bool cancel;
};

static bool on_progress(void *user_data, double fraction, const char *message, size_t message_len) {
  struct progress_state *state = user_data;
  state->calls++;
  state->last_fraction = fraction;
  /* The message is NUL-terminated as well as counted. */
  if (message == NULL || strlen(message) != message_len) state->calls += 1000;
  return state->cancel;
}

/* Runs `action` with a request and a selection; returns the status, sets *result or *message. */
static ClipvgStatus run(ClipvgEngine *engine, const char *action, const char *request, const char *svg,
                        size_t svg_len, const ClipvgStr *selected, size_t selected_len,
                        struct progress_state *progress, ClipvgResult **result, char *message,
                        size_t message_size) {
  ClipvgError *error = NULL;
  ClipvgStatus status = clipvg_run(engine, action, action ? strlen(action) : 0, request,
                                   request ? strlen(request) : 0, svg, svg_len, selected, selected_len,
                                   progress ? on_progress : NULL, progress, result, &error);
  message[0] = '\0';
  if (error != NULL) {
    size_t len = 0;
    const char *text = clipvg_error_message(error, &len);
    snprintf(message, message_size, "%.*s", (int)len, text);
    if (clipvg_error_status(error) != status) snprintf(message, message_size, "status mismatch");
    clipvg_error_free(error);
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: host CLIP_MODEL_DIR\n");
    return 2;
  }
  const char *model_dir = argv[1];
  char message[1024];
  ClipvgResult *result = NULL;
  ClipvgError *error = NULL;

  CHECK(clipvg_abi_version() == CLIPVG_ABI_VERSION, "library ABI %u, header %u", clipvg_abi_version(),
        CLIPVG_ABI_VERSION);
  CHECK(strlen(clipvg_version()) > 0, "empty version");
  size_t manifest_len = 0;
  const char *manifest = clipvg_manifest_json(&manifest_len);
  CHECK(manifest != NULL && strlen(manifest) == manifest_len && strstr(manifest, "\"org.clipvg.edit\"") != NULL,
        "manifest lacks org.clipvg.edit");

  /* Engines: defaults, and options errors. */
  ClipvgEngine *engine = NULL;
  CHECK(clipvg_engine_new(NULL, 0, &engine, &error) == CLIPVG_STATUS_OK && engine != NULL && error == NULL,
        "engine_new failed");
  ClipvgEngine *bad = NULL;
  const char *bad_options = "{\"backend\":\"quantum\"}";
  CHECK(clipvg_engine_new(bad_options, strlen(bad_options), &bad, &error) == CLIPVG_STATUS_INVALID_REQUEST &&
            bad == NULL && error != NULL,
        "bad backend accepted");
  CHECK(strstr(clipvg_error_message(error, NULL), "engine options") != NULL, "message: %s",
        clipvg_error_message(error, NULL));
  clipvg_error_free(error);
  CHECK(clipvg_engine_new(NULL, 0, NULL, NULL) == CLIPVG_STATUS_INVALID_ARGUMENT, "NULL out_engine accepted");

  /* inspect, with a selection and progress. */
  ClipvgStr selected[2] = {{"a", 1}, {"g", 1}};
  struct progress_state progress = {0, -1.0, false};
  ClipvgStatus status = run(engine, "inspect", "{}", SVG, strlen(SVG), selected, 2, &progress, &result, message,
                            sizeof message);
  CHECK(status == CLIPVG_STATUS_OK && result != NULL, "inspect: status %d: %s", status, message);
  if (result != NULL) {
    size_t svg_len = 0, report_len = 0, png_len = 99;
    const char *svg = clipvg_result_svg(result, &svg_len);
    const char *report = clipvg_result_report(result, &report_len);
    CHECK(svg_len == strlen(SVG) && memcmp(svg, SVG, svg_len) == 0 && svg[svg_len] == '\0',
          "inspect changed the document");
    CHECK(report_len == strlen(report) && strstr(report, "\"action\":\"inspect\"") != NULL, "report: %s", report);
    CHECK(strstr(report, "\"shapes\":[") != NULL && strstr(report, "\"id\":\"b\"") != NULL, "report: %s", report);
    CHECK(clipvg_result_png(result, &png_len) == NULL && png_len == 0, "inspect made a PNG");
    CHECK(!clipvg_result_changed(result) && !clipvg_result_cancelled(result), "inspect changed or cancelled");
    clipvg_result_free(result);
  }
  CHECK(progress.calls >= 2 && progress.calls < 1000 && progress.last_fraction == 1.0,
        "progress: %d calls, last %f", progress.calls, progress.last_fraction);

  /* Cancel from the progress callback. */
  progress = (struct progress_state){0, -1.0, true};
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), NULL, 0, &progress, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_CANCELLED && result == NULL && strcmp(message, "cancelled") == 0,
        "cancel: status %d: %s", status, message);

  /* Null arguments. */
  status = clipvg_run(NULL, "inspect", 7, NULL, 0, SVG, strlen(SVG), NULL, 0, NULL, NULL, &result, &error);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT && result == NULL &&
            strcmp(clipvg_error_message(error, NULL), "argument `engine` is NULL") == 0,
        "NULL engine: %d", status);
  clipvg_error_free(error);
  status = run(engine, "inspect", NULL, NULL, 10, NULL, 0, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT && strcmp(message, "argument `svg` is NULL") == 0,
        "NULL svg: %d: %s", status, message);
  status = run(engine, NULL, NULL, SVG, strlen(SVG), NULL, 0, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && strstr(message, "unknown action \"\"") != NULL,
        "NULL action: %d: %s", status, message);
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), NULL, 3, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT && strcmp(message, "argument `selected` is NULL") == 0,
        "NULL selected: %d: %s", status, message);
  status = clipvg_run(engine, "inspect", 7, NULL, 0, SVG, strlen(SVG), NULL, 0, NULL, NULL, NULL, NULL);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT, "NULL out_result: %d", status);
  status = clipvg_run(engine, "edit", 4, NULL, 0, SVG, strlen(SVG), NULL, 0, NULL, NULL, &result, NULL);
  CHECK(status == CLIPVG_STATUS_INVALID_SELECTION && result == NULL, "NULL out_error: %d", status);

  /* Invalid UTF-8. */
  const char bad_svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>\xff\xfe</title></svg>";
  status = run(engine, "inspect", NULL, bad_svg, strlen(bad_svg), NULL, 0, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT && strstr(message, "`svg` is not valid UTF-8") != NULL,
        "bad UTF-8: %d: %s", status, message);
  ClipvgStr bad_id[1] = {{"\xc3", 1}};
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), bad_id, 1, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_ARGUMENT && strstr(message, "not valid UTF-8") != NULL,
        "bad UTF-8 id: %d: %s", status, message);

  /* Unknown action, malformed and wrong requests, bad documents, bad selections. */
  status = run(engine, "paint", NULL, SVG, strlen(SVG), NULL, 0, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && strstr(message, "unknown action \"paint\"") != NULL,
        "unknown action: %d: %s", status, message);
  status = run(engine, "inspect", "{\"prompt\": ", SVG, strlen(SVG), NULL, 0, NULL, &result, message,
               sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && strstr(message, "invalid request JSON") != NULL,
        "malformed JSON: %d: %s", status, message);
  status = run(engine, "inspect", "{\"iters\": 3}", SVG, strlen(SVG), NULL, 0, NULL, &result, message,
               sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_REQUEST && strstr(message, "unknown field `iters`") != NULL,
        "unknown field: %d: %s", status, message);
  status = run(engine, "inspect", NULL, "<svg", 4, NULL, 0, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_DOCUMENT, "bad XML: %d: %s", status, message);
  ClipvgStr missing[1] = {{"nope", 4}};
  status = run(engine, "inspect", NULL, SVG, strlen(SVG), missing, 1, NULL, &result, message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_SELECTION && strstr(message, "\"nope\"") != NULL,
        "unknown id: %d: %s", status, message);

  /* render: a PNG of the document, the SVG unchanged. */
  status = run(engine, "render", "{\"render_size\":32}", SVG, strlen(SVG), NULL, 0, NULL, &result, message,
               sizeof message);
  CHECK(status == CLIPVG_STATUS_OK && result != NULL, "render: status %d: %s", status, message);
  if (result != NULL) {
    size_t png_len = 0;
    const uint8_t *png = clipvg_result_png(result, &png_len);
    CHECK(png != NULL && png_len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0, "render made no PNG (%zu bytes)",
          png_len);
    CHECK(!clipvg_result_changed(result), "render changed the document");
    clipvg_result_free(result);
  }

  /* edit: the user's mistakes first, then a missing model, then a real edit with the tiny model. */
  status = run(engine, "edit", "{\"prompt\":\"a gold statue\"}", SVG, strlen(SVG), NULL, 0, NULL, &result,
               message, sizeof message);
  CHECK(status == CLIPVG_STATUS_INVALID_SELECTION && strstr(message, "nothing is selected") != NULL,
        "edit without selection: %d: %s", status, message);
  status = run(engine, "edit", "{\"prompt\":\"a gold statue\",\"model\":\"/nonexistent/clip\"}", SVG, strlen(SVG),
               selected, 2, NULL, &result, message, sizeof message);
  CHECK(status != CLIPVG_STATUS_OK && result == NULL && strstr(message, "/nonexistent/clip") != NULL,
        "edit with a missing model: %d: %s", status, message);
  char edit_request[4096];
  snprintf(edit_request, sizeof edit_request,
           "{\"prompt\":\"a gold statue\",\"model\":\"%s\",\"backend\":\"cpu\",\"iterations\":2,"
           "\"n_patches\":2,\"render_size\":64,\"prompt_templates\":false}",
           model_dir);
  progress = (struct progress_state){0, -1.0, false};
  status = run(engine, "edit", edit_request, SVG, strlen(SVG), selected, 2, &progress, &result, message,
               sizeof message);
  CHECK(status == CLIPVG_STATUS_OK && result != NULL, "edit: status %d: %s", status, message);
  if (result != NULL) {
    size_t svg_len = 0;
    const char *svg = clipvg_result_svg(result, &svg_len);
    const char *report = clipvg_result_report(result, NULL);
    CHECK(clipvg_result_changed(result) && !clipvg_result_cancelled(result), "edit changed nothing");
    CHECK(svg_len > 0 && strstr(svg, "id=\"a\"") != NULL && strcmp(svg, SVG) != 0, "edited svg: %s", svg);
    CHECK(strstr(report, "\"action\":\"edit\"") != NULL, "edit report: %s", report);
    clipvg_result_free(result);
  }
  CHECK(progress.calls >= 2 && progress.calls < 1000, "edit progress: %d calls", progress.calls);

  /* Accessors and frees accept NULL. */
  size_t len = 42;
  CHECK(clipvg_result_svg(NULL, &len) == NULL && len == 0, "svg of NULL");
  CHECK(clipvg_error_message(NULL, NULL) == NULL, "message of NULL");
  CHECK(clipvg_error_status(NULL) == CLIPVG_STATUS_INVALID_ARGUMENT, "status of NULL");
  clipvg_result_free(NULL);
  clipvg_error_free(NULL);
  clipvg_engine_free(NULL);
  clipvg_engine_free(engine);

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
