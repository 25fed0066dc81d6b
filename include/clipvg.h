/*
 * clipvg — text-guided editing of vector graphics (CLIPVG) as a C library.
 *
 * Usage: check clipvg_abi_version() == CLIPVG_ABI_VERSION; create an engine with
 * clipvg_engine_new(); call clipvg_run(engine, action, request JSON, SVG, selected ids, progress
 * callback, ...) as often as needed; read the result with clipvg_result_svg() /
 * clipvg_result_report() / clipvg_result_png(); free what you received.
 *
 * Strings: every string argument is (pointer, length in bytes), UTF-8, no NUL needed; a pointer
 * may be NULL only with length 0. Strings handed out are UTF-8 and NUL-terminated, with their
 * length (without the NUL) written to an optional out_len.
 *
 * Ownership: the caller owns every ClipvgEngine, ClipvgResult and ClipvgError it receives and
 * frees each exactly once with clipvg_engine_free / clipvg_result_free / clipvg_error_free
 * (all accept NULL). Pointers returned by accessors are borrowed from their handle and die with it.
 * Static strings (clipvg_version, clipvg_manifest_json) are never freed.
 *
 * THE CONTRACT
 *
 * 1. Nothing crosses the boundary. No call unwinds into the host or aborts the process on an
 *    internal error: a panic inside clipvg is caught and returned as CLIPVG_STATUS_PANIC with a
 *    message "internal error: ..."; the engine stays usable. NULL where a value is required and
 *    invalid UTF-8 are CLIPVG_STATUS_INVALID_ARGUMENT, never crashes.
 *
 * 2. The library prints nothing, ever, on stdout or stderr. Caught panics are not printed: the
 *    library installs, once, a panic hook that chains to the one before it and stays silent only
 *    for panics raised inside a clipvg call (a Rust host's own panics still reach its hook).
 *    GPU probing is kept quiet: Mesa's Vulkan device-select layer makes libwayland print
 *    "XDG_RUNTIME_DIR is invalid" when neither WAYLAND_DISPLAY is an absolute path nor
 *    XDG_RUNTIME_DIR is set; only then, and only for the milliseconds of the probe (at most twice
 *    per process), WAYLAND_DISPLAY is set to a path that cannot exist and then restored. That is
 *    the library's one change to the process environment; it installs no signal handlers.
 *
 * 3. One run at a time per engine, never a wait: clipvg_run on an engine that is already running
 *    (called from its own progress callback, or from another thread) returns CLIPVG_STATUS_BUSY
 *    at once and does nothing. Use one engine per thread to run in parallel. A ClipvgEngine may
 *    be shared by threads; results and errors are immutable and may be read from any thread.
 *    The progress callback runs on the thread that called clipvg_run, never after it returned.
 *
 * 4. Statuses say the cause, so a host can act without parsing messages: the request
 *    (INVALID_REQUEST), the document (INVALID_DOCUMENT), the selection (INVALID_SELECTION), a
 *    budget (LIMIT_EXCEEDED: raise it in the request), the model (MODEL_MISSING: fetch it;
 *    MODEL_DOWNLOAD: retry when online; MODEL_INVALID: fetch it again), files (IO), the GPU (GPU:
 *    retry with "backend": "cpu"), the user (CANCELLED), the engine (BUSY), clipvg itself (PANIC:
 *    a bug, please report it). Treat any other non-zero value as a failure.
 *
 * 5. Messages are for people: UTF-8, one line, control characters and invisible Unicode
 *    controls escaped as \u{..}, at most 2048 bytes; input echoed in a message (action names,
 *    ids, model names, JSON field names) is cut to 100 characters.
 *
 * 6. Limits. Everything a document can make clipvg expand or allocate has a budget; a document
 *    over one fails with CLIPVG_STATUS_LIMIT_EXCEEDED naming the budget, before the work or the
 *    allocation, on any host thread with a stack of 256 KB or more (nothing recurses on the
 *    input's depth). A request raises any of them with "limits": {"NAME": N, ...}; the clipvg
 *    command with --limit NAME=N. Defaults (clipvg_document::Limits):
 *      document_bytes   268435456  (256 MiB of SVG text)
 *      nodes              4000000  (XML nodes after entity expansion)
 *      depth                 1024  (element nesting)
 *      attributes            1000  (attributes on one element)
 *      namespaces        50000000  (namespace work of the XML parser)
 *      entity_bytes      16777216  (16 MiB of expanded internal entities)
 *      css_matches       50000000  (<style> rules x elements matched)
 *      shapes             1000000  (shapes after <use> expansion)
 *      segments          10000000  (cubic segments in the scene)
 *      colors             4000000  (solid paints and gradient stops, per shape)
 *      flattened_lines   50000000  (line pieces for the rasterizer)
 *      render_pixels    268435456  (16384 x 16384 pixels in one render)
 *      memory_bytes    8589934592  (8 GiB of large buffers, estimated before allocating)
 *
 * The request JSON and the actions are documented in src/plugin/request.rs (struct Request) and
 * in the host-neutral manifest (clipvg_manifest_json, plugin-manifest/clipvg.json).
 */

#ifndef CLIPVG_H
#define CLIPVG_H

/* Generated by cbindgen from src/plugin/ffi.rs; do not edit (see cbindgen.toml). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The ABI version of this header. `clipvg_abi_version()` returns the library's; a host must
 * refuse a library whose version differs from the one it was compiled against.
 */
#define CLIPVG_ABI_VERSION 1

/**
 * What a call returned. `CLIPVG_STATUS_OK` is 0; every other value comes with a
 * `ClipvgError` (when the caller asked for one) whose message says what to do. The status says
 * what kind of thing went wrong, so a host can act on it without reading the message; a host
 * must treat a value it does not know as a failure (later versions may add statuses).
 */
typedef enum {
  /**
   * Success.
   */
  CLIPVG_STATUS_OK = 0,
  /**
   * A caller mistake at the ABI level: a NULL pointer where a value is required, a string that
   * is not UTF-8.
   */
  CLIPVG_STATUS_INVALID_ARGUMENT = 1,
  /**
   * The request is wrong: malformed JSON, an unknown field or action, a value out of range, an
   * empty prompt, an unknown model name or a model folder that does not exist.
   */
  CLIPVG_STATUS_INVALID_REQUEST = 2,
  /**
   * The document is not well-formed XML or not a usable SVG.
   */
  CLIPVG_STATUS_INVALID_DOCUMENT = 3,
  /**
   * The selection is empty, names an id that is not in the document, or has no shapes.
   */
  CLIPVG_STATUS_INVALID_SELECTION = 4,
  /**
   * The progress callback asked to stop and the action had no partial result to return.
   */
  CLIPVG_STATUS_CANCELLED = 5,
  /**
   * A file could not be read or written, or an image could not be decoded.
   */
  CLIPVG_STATUS_IO = 6,
  /**
   * The GPU was asked for and cannot be used, or failed while running (on the GPU, a failure
   * inside the tensor runtime is reported as this too). Retrying with `"backend": "cpu"` may work.
   */
  CLIPVG_STATUS_GPU = 7,
  /**
   * An internal error: a bug in clipvg (a caught panic); the message starts with
   * "internal error:" and says what happened. The engine stays usable.
   */
  CLIPVG_STATUS_PANIC = 8,
  /**
   * The engine is already running an action: a call from its own progress callback, or from
   * another thread while a run is under way. Returned at once; nothing was done. Runs on one
   * engine never wait for each other: use one engine per thread to run in parallel.
   */
  CLIPVG_STATUS_BUSY = 9,
  /**
   * The document (or the request) needs more than a budget of the limits allows (nesting
   * depth, nodes, shapes, segments, pixels, memory, ...). The message names the limit and how
   * to raise it (`"limits": {"NAME": N}` in the request). Nothing was allocated for it.
   */
  CLIPVG_STATUS_LIMIT_EXCEEDED = 10,
  /**
   * The CLIP model is not on this machine: a model folder lacks `config.json` or
   * `model.safetensors`. A host can offer to fetch it (`clipvg weights fetch NAME`).
   */
  CLIPVG_STATUS_MODEL_MISSING = 11,
  /**
   * Downloading the CLIP model failed (offline, server error). Retrying later may work.
   */
  CLIPVG_STATUS_MODEL_DOWNLOAD = 12,
  /**
   * The CLIP model's files are not usable: a download or cached file failed verification
   * (size or SHA-256; the file was removed), or the weights, config or tokenizer are corrupt or
   * not a CLIP checkpoint. Fetching the model again may work.
   */
  CLIPVG_STATUS_MODEL_INVALID = 13,
} ClipvgStatus;

/**
 * An engine: options fixed at creation (model, backend), and later the loaded model.
 * Created by `clipvg_engine_new`, owned by the caller, freed with `clipvg_engine_free`.
 * Thread-safe: it may be used from any thread and shared between threads; a run on an engine
 * that is already running returns `CLIPVG_STATUS_BUSY` at once (use one engine per thread to run
 * in parallel).
 */
typedef struct ClipvgEngine ClipvgEngine;

/**
 * An error: a status and a one-sentence message for the user. Created by a failing call when
 * the caller passed a non-NULL `out_error`, owned by the caller, freed with
 * `clipvg_error_free`. Immutable: may be read from any thread.
 */
typedef struct ClipvgError ClipvgError;

/**
 * The result of a successful run: the new SVG, the JSON report, and for `render` a PNG.
 * Created by `clipvg_run`, owned by the caller, freed with `clipvg_result_free`. Immutable:
 * may be read from any thread.
 */
typedef struct ClipvgResult ClipvgResult;

/**
 * A string argument: `len` bytes of UTF-8 at `ptr` (no NUL terminator needed). `ptr` may be
 * NULL only when `len` is 0.
 */
typedef struct {
  const char *ptr;
  size_t len;
} ClipvgStr;

/**
 * Progress callback: `fraction` in [0, 1] and a short UTF-8 message (`message_len` bytes,
 * NUL-terminated as well, valid only during the call). Return `true` to ask the run to stop:
 * the action stops at its next check and returns its last good state (report `"cancelled":
 * true`) or `CLIPVG_STATUS_CANCELLED`. Called on the thread that called `clipvg_run`, never
 * concurrently, never after `clipvg_run` returned. May be NULL (no progress wanted).
 */
typedef bool (*ClipvgProgressFn)(void *user_data,
                                 double fraction,
                                 const char *message,
                                 size_t message_len);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's ABI version; equal to `CLIPVG_ABI_VERSION` of the header it was built with.
 */
uint32_t clipvg_abi_version(void);

/**
 * The library's version ("0.1.0"), a static NUL-terminated string; never free it.
 */
const char *clipvg_version(void);

/**
 * The host-neutral manifest (`plugin-manifest/clipvg.json`): every action with its params,
 * types, ranges and defaults, for hosts that build their dialogs from it. Static,
 * NUL-terminated; its length in bytes is written to `out_len` when that is not NULL; never free it.
 */
const char *clipvg_manifest_json(size_t *out_len);

/**
 * Creates an engine from JSON options `{"model": "PATH-OR-NAME", "backend": "auto|cpu|gpu"}`
 * (every field optional; NULL with length 0 means `{}`). On success `*out_engine` receives an
 * engine the caller frees with `clipvg_engine_free`. On failure `*out_engine` is NULL and, when
 * `out_error` is not NULL, `*out_error` receives an error the caller frees with
 * `clipvg_error_free` (else `*out_error` is set to NULL).
 *
 * # Safety
 * Pointers must be NULL or valid for the lengths given; `out_engine` must be writable.
 */
ClipvgStatus clipvg_engine_new(const char *options_json,
                               size_t options_json_len,
                               ClipvgEngine **out_engine,
                               ClipvgError **out_error);

/**
 * Frees an engine. NULL is ignored. The engine must not be in use by another thread. Called
 * from the engine's own progress callback, it takes effect when that run returns.
 *
 * # Safety
 * `engine` must be NULL or come from `clipvg_engine_new` and not have been freed.
 */
void clipvg_engine_free(ClipvgEngine *engine);

/**
 * Runs an action on a document.
 *
 * - `action`: `"inspect"`, `"render"`, `"edit"`, `"recolor"` or `"vectorize"` (UTF-8, `action_len` bytes).
 * - `request_json`: the request (see `Request` in `src/plugin/request.rs`); NULL
 *   with length 0 means `{}` (every field at its default). Unknown fields are an error.
 * - `svg`: the whole document, UTF-8.
 * - `selected`: the ids of the selected objects in selection order, `selected_len` of them
 *   (NULL when 0).
 * - `progress`: called with progress and asked whether to cancel; may be NULL. `user_data` is
 *   passed to it untouched.
 * - `out_result`: on success receives a result the caller frees with `clipvg_result_free`; NULL on failure.
 * - `out_error`: may be NULL; on failure receives an error the caller frees with `clipvg_error_free`.
 *
 * The engine is borrowed for the call. Nothing is kept after the call returns. On an engine
 * that is already running (a call from its own progress callback, or from another thread) it
 * returns `CLIPVG_STATUS_BUSY` at once and does nothing.
 *
 * # Safety
 * `engine` must come from `clipvg_engine_new`; every pointer must be NULL or valid for the
 * length given; `selected` must point to `selected_len` `ClipvgStr`; `out_result` must be writable.
 */
ClipvgStatus clipvg_run(const ClipvgEngine *engine,
                        const char *action,
                        size_t action_len,
                        const char *request_json,
                        size_t request_json_len,
                        const char *svg,
                        size_t svg_len,
                        const ClipvgStr *selected,
                        size_t selected_len,
                        ClipvgProgressFn progress,
                        void *user_data,
                        ClipvgResult **out_result,
                        ClipvgError **out_error);

/**
 * The new document: UTF-8, NUL-terminated, `*out_len` bytes (without the NUL) when `out_len`
 * is not NULL. Borrowed from `result`: valid until `clipvg_result_free(result)`. NULL if
 * `result` is NULL.
 *
 * # Safety
 * `result` must be NULL or a live result; `out_len` NULL or writable.
 */
const char *clipvg_result_svg(const ClipvgResult *result, size_t *out_len);

/**
 * The JSON report: `{"action", "clipvg_version", "changed", "cancelled", "elapsed_s",
 * "details"}` (details are per action). Same ownership and length rules as `clipvg_result_svg`.
 *
 * # Safety
 * `result` must be NULL or a live result; `out_len` NULL or writable.
 */
const char *clipvg_result_report(const ClipvgResult *result, size_t *out_len);

/**
 * The rendered PNG (`render`), `*out_len` bytes; NULL (length 0) when the action made none.
 * Borrowed from `result`: valid until `clipvg_result_free(result)`.
 *
 * # Safety
 * `result` must be NULL or a live result; `out_len` NULL or writable.
 */
const uint8_t *clipvg_result_png(const ClipvgResult *result, size_t *out_len);

/**
 * Whether the run changed the document. False for NULL.
 *
 * # Safety
 * `result` must be NULL or a live result.
 */
bool clipvg_result_changed(const ClipvgResult *result);

/**
 * Whether the run was cancelled and the SVG is its last good state. False for NULL.
 *
 * # Safety
 * `result` must be NULL or a live result.
 */
bool clipvg_result_cancelled(const ClipvgResult *result);

/**
 * Frees a result (and with it every pointer its accessors returned). NULL is ignored.
 *
 * # Safety
 * `result` must be NULL or come from `clipvg_run` and not have been freed.
 */
void clipvg_result_free(ClipvgResult *result);

/**
 * The status of an error; `CLIPVG_STATUS_INVALID_ARGUMENT` for NULL.
 *
 * # Safety
 * `error` must be NULL or a live error.
 */
ClipvgStatus clipvg_error_status(const ClipvgError *error);

/**
 * The error's message: one sentence for the user, UTF-8, NUL-terminated, `*out_len` bytes when
 * `out_len` is not NULL. Borrowed from `error`: valid until `clipvg_error_free(error)`. NULL for
 * NULL.
 *
 * # Safety
 * `error` must be NULL or a live error; `out_len` NULL or writable.
 */
const char *clipvg_error_message(const ClipvgError *error, size_t *out_len);

/**
 * Frees an error. NULL is ignored.
 *
 * # Safety
 * `error` must be NULL or come from a clipvg call and not have been freed.
 */
void clipvg_error_free(ClipvgError *error);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* CLIPVG_H */
