/* stguard C API: validate safetensors files from C, Python (ctypes/cffi),
 * Rust, Go or anything else that can call C.
 *
 * Conventions
 *   - Every handle is opaque and owned by the caller once returned; free it
 *     with its *_free function (NULL is accepted and ignored).
 *   - Every fallible function returns a stguard_status; results go through
 *     out-parameters, which are set only on STGUARD_OK (handle out-parameters
 *     are set to NULL on failure). No C++ exception ever crosses this API.
 *   - On failure, stguard_last_error() returns a one-line message for the
 *     calling thread (valid until that thread's next stguard_* call).
 *   - Strings returned by a report (ids, tensor names, messages) live as
 *     long as the report. Tensor names are decoded from the header and may
 *     contain any byte, including NUL: use the returned length.
 *   - Handles are immutable after creation: a policy may be shared by
 *     threads validating concurrently; a report or a checkpoint may be read
 *     concurrently. Freeing a handle while another thread uses it is the
 *     caller's error.
 *   - The library records every handle it returns until it is freed. The
 *     functions of revision 2 (below) and every *_free function check the
 *     handle they are given against that record: a freed, foreign or
 *     mistyped pointer gives STGUARD_ERR_INVALID_ARGUMENT ("not a live
 *     ..."), and a *_free call on one does nothing, so a double free is
 *     harmless. What cannot be detected: a freed pointer whose address the
 *     allocator has since reused for a new handle of the same kind (it is
 *     that handle), and freeing a handle while another thread uses it.
 *     Strings returned through char** (stguard_report_json, ...) are not
 *     handles: stguard_string_free cannot check them (see there).
 *
 * Example:
 *   stguard_policy* policy;
 *   stguard_report* report;
 *   if (stguard_policy_resolve("default", &policy) != STGUARD_OK) ...
 *   if (stguard_validate_file(policy, "model.safetensors", &report) != STGUARD_OK) ...
 *   stguard_verdict verdict;
 *   stguard_report_verdict(report, &verdict);
 *   stguard_report_free(report);
 *   stguard_policy_free(policy);
 */
#ifndef STGUARD_STGUARD_H_
#define STGUARD_STGUARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define STGUARD_API
#else
#define STGUARD_API __attribute__((visibility("default")))
#endif

/* Bumped when a declaration below changes incompatibly. */
#define STGUARD_C_API_VERSION 1
/* Bumped when functions are added (the declarations of an earlier revision
 * stay as they were). 2: JSON reports, the tensor table, checkpoints and
 * headers validated from memory. 3: streams read through a callback
 * (stguard_validate_reader), STGUARD_FLAG_VALUE_RULES. */
#define STGUARD_C_API_REVISION 3

typedef enum stguard_status {
  STGUARD_OK = 0,
  STGUARD_ERR_INVALID_ARGUMENT = 1, /* a NULL or out-of-range argument */
  STGUARD_ERR_UNKNOWN_POLICY = 2,   /* no built-in policy by that name */
  STGUARD_ERR_BAD_POLICY = 3,       /* a policy file that cannot be read or is invalid */
  STGUARD_ERR_IO = 4,               /* the file to validate cannot be read */
  STGUARD_ERR_NO_MEMORY = 5,
  STGUARD_ERR_INTERNAL = 6,
  /* stguard_validate_header: the bytes given end before a byte the
   * validation needs (stguard_last_error says up to where); see
   * stguard_header_bytes_needed. */
  STGUARD_ERR_NEED_MORE_DATA = 7
} stguard_status;

typedef enum stguard_verdict {
  STGUARD_VERDICT_ACCEPT = 0,
  STGUARD_VERDICT_REJECT = 1
} stguard_verdict;

typedef enum stguard_severity {
  STGUARD_SEVERITY_INFO = 0,
  STGUARD_SEVERITY_WARNING = 1,
  STGUARD_SEVERITY_ERROR = 2
} stguard_severity;

typedef struct stguard_policy stguard_policy;
typedef struct stguard_report stguard_report;

/* One finding of a report. Pointers are owned by the report. */
typedef struct stguard_finding {
  uint32_t code;             /* stable number, e.g. 311 (docs/codes.md) */
  const char* id;            /* stable kebab-case id, e.g. "duplicate-tensor-name" */
  stguard_severity severity;
  uint64_t offset;           /* byte offset in the file the finding concerns */
  int has_tensor;            /* 1 when the finding concerns one tensor */
  const char* tensor;        /* its decoded name (NUL-terminated, may contain NUL) or "" */
  size_t tensor_length;      /* bytes of tensor, excluding the terminator */
  const char* message;       /* one line, NUL-terminated */
} stguard_finding;

/* Library version, "MAJOR.MINOR.PATCH"; static storage. */
STGUARD_API const char* stguard_version(void);
/* STGUARD_C_API_VERSION of the library actually loaded. */
STGUARD_API int stguard_api_version(void);
/* A fixed description of a status code; static storage. */
STGUARD_API const char* stguard_status_string(stguard_status status);
/* Message for the calling thread's last failed call ("" when none). */
STGUARD_API const char* stguard_last_error(void);

/* Policies. */
/* A built-in policy: "compat", "default" or "strict". */
STGUARD_API stguard_status stguard_policy_builtin(const char* name, stguard_policy** out);
/* A policy file (JSON, see policies/README.md). */
STGUARD_API stguard_status stguard_policy_load_file(const char* path, stguard_policy** out);
/* A built-in name, or else a policy file path (as `stguard check --policy`). */
STGUARD_API stguard_status stguard_policy_resolve(const char* name_or_path, stguard_policy** out);
/* The policy's name; owned by the policy. */
STGUARD_API stguard_status stguard_policy_name(const stguard_policy* policy, const char** out);
STGUARD_API void stguard_policy_free(stguard_policy* policy);

/* Validation. Only the 8-byte prefix and the header are read; the data
 * section is checked by size (unless STGUARD_FLAG_DEEP_SCAN is given). A file that cannot be read gives
 * STGUARD_ERR_IO (not a report). */
STGUARD_API stguard_status stguard_validate_file(const stguard_policy* policy, const char* path,
                                                 stguard_report** out);
/* The whole file in memory. data may be NULL only when size is 0. */
STGUARD_API stguard_status stguard_validate_buffer(const stguard_policy* policy,
                                                   const void* data, size_t size,
                                                   stguard_report** out);

/* Flags of the _ex and _fd entry points (0: header only, as above). */
#define STGUARD_FLAG_DEEP_SCAN 1u /* read the data once: SHA-256 of the file and of each
                                     tensor, NaN/Inf and BOOL values under the policy */
#define STGUARD_FLAG_TENSORS 2u   /* keep the tensor table in the report (revision 2:
                                     stguard_report_tensor); memory in proportion to
                                     the header */
#define STGUARD_FLAG_VALUE_RULES 4u /* revision 3: read the data once for the value rules
                                       alone (NaN/Inf, BOOL: the findings DEEP_SCAN gives),
                                       with no SHA-256, so at memory speed; the report has
                                       no hashes (stguard_report_sha256 and the hashed
                                       tensors give STGUARD_ERR_INVALID_ARGUMENT). With
                                       STGUARD_FLAG_DEEP_SCAN it changes nothing. */
/* Unknown flag bits give STGUARD_ERR_INVALID_ARGUMENT. */
STGUARD_API stguard_status stguard_validate_file_ex(const stguard_policy* policy,
                                                    const char* path, uint32_t flags,
                                                    stguard_report** out);
STGUARD_API stguard_status stguard_validate_buffer_ex(const stguard_policy* policy,
                                                      const void* data, size_t size,
                                                      uint32_t flags, stguard_report** out);
/* Reads fd to its end (a pipe, a socket, standard input) and validates the
 * bytes as they arrive: the same report as the same bytes in a file. Memory:
 * the header plus a fixed buffer. fd is not closed. */
STGUARD_API stguard_status stguard_validate_fd(const stguard_policy* policy, int fd,
                                               uint32_t flags, stguard_report** out);

/* Reports. */
STGUARD_API stguard_status stguard_report_verdict(const stguard_report* report,
                                                  stguard_verdict* out);
STGUARD_API stguard_status stguard_report_file_size(const stguard_report* report, uint64_t* out);
/* N, the header length from the prefix (0 when the prefix could not be read). */
STGUARD_API stguard_status stguard_report_header_bytes(const stguard_report* report,
                                                       uint64_t* out);
STGUARD_API stguard_status stguard_report_tensor_count(const stguard_report* report,
                                                       uint64_t* out);
STGUARD_API stguard_status stguard_report_finding_count(const stguard_report* report,
                                                        size_t* out);
/* Finding `index` (0 <= index < count), sorted by offset then code. */
STGUARD_API stguard_status stguard_report_finding(const stguard_report* report, size_t index,
                                                  stguard_finding* out);
/* After a deep scan: the file's SHA-256 as 64 lower-case hex digits and a
 * NUL, written to out (65 bytes). STGUARD_ERR_INVALID_ARGUMENT when the
 * report was made without STGUARD_FLAG_DEEP_SCAN. */
STGUARD_API stguard_status stguard_report_sha256(const stguard_report* report, char out[65]);
STGUARD_API void stguard_report_free(stguard_report* report);

/* The id of a finding code ("duplicate-tensor-name"), or NULL when unknown. */
STGUARD_API const char* stguard_code_id(uint32_t code);

/* ---- Revision 2 (STGUARD_C_API_REVISION >= 2) ---------------------------
 * Errors common to every function below: STGUARD_ERR_INVALID_ARGUMENT for a
 * NULL pointer where one is required, a handle that is not live (see
 * Conventions), an index out of range, a size too small, or flag bits this
 * revision does not know; STGUARD_ERR_NO_MEMORY; STGUARD_ERR_INTERNAL. On
 * any error out-parameters are left as documented above (handles NULL). */

/* STGUARD_C_API_REVISION of the library actually loaded. */
STGUARD_API int stguard_api_revision(void);

/* -- The report as JSON ----------------------------------------------------
 * Exactly what `stguard check --format json PATH` prints for the file the
 * report is about (docs/report-format.md, docs/report.schema.json): one
 * document {"tool", "policy", "files": [the file], "errors": [],
 * "skipped": {...}} and a newline. With STGUARD_JSON_LINE, what
 * `--format jsonl` prints instead: the file's object alone and a newline.
 * A report made with STGUARD_FLAG_DEEP_SCAN carries its "content" (hashes)
 * as `check --deep` does.
 *
 * path: the "path" written into the file's object; NULL for the path given
 * to stguard_validate_file[_ex], or "-" (the CLI's name for standard input)
 * for a report of a buffer, a descriptor or a header.
 * On STGUARD_OK *out is a NUL-terminated UTF-8 string (bytes of a name that
 * are not UTF-8 are written as \udcXX escapes, see docs/report-format.md),
 * *out_length its length without the terminator (out_length may be NULL).
 * The caller owns *out and frees it with stguard_string_free. *out is NULL
 * on failure. Thread safety: any number of threads may render one report. */
#define STGUARD_JSON_LINE 1u
STGUARD_API stguard_status stguard_report_json(const stguard_report* report, const char* path,
                                               uint32_t flags, char** out, size_t* out_length);
/* Frees a string returned by stguard_report_json or stguard_checkpoint_json
 * (NULL is ignored). Only those strings: anything else, or a string freed
 * twice, is undefined behaviour (strings are not recorded as handles are). */
STGUARD_API void stguard_string_free(char* text);

/* -- The tensor table --------------------------------------------------------
 * Needs a report made with STGUARD_FLAG_TENSORS (otherwise
 * STGUARD_ERR_INVALID_ARGUMENT). The table is the one the reference would
 * load (duplicate names resolved: last one wins), sorted by data offsets;
 * it is empty when the header did not read to a table (see the findings).
 * Note stguard_report_tensor_count counts the header's entries even when no
 * table could be built. */
typedef enum stguard_dtype {
  /* Numbered in the reference's declaration order; stable. */
  STGUARD_DTYPE_BOOL = 0, STGUARD_DTYPE_F4 = 1, STGUARD_DTYPE_F6_E2M3 = 2,
  STGUARD_DTYPE_F6_E3M2 = 3, STGUARD_DTYPE_U8 = 4, STGUARD_DTYPE_I8 = 5,
  STGUARD_DTYPE_F8_E5M2 = 6, STGUARD_DTYPE_F8_E4M3 = 7, STGUARD_DTYPE_F8_E8M0 = 8,
  STGUARD_DTYPE_F8_E4M3FNUZ = 9, STGUARD_DTYPE_F8_E5M2FNUZ = 10, STGUARD_DTYPE_I16 = 11,
  STGUARD_DTYPE_U16 = 12, STGUARD_DTYPE_F16 = 13, STGUARD_DTYPE_BF16 = 14,
  STGUARD_DTYPE_I32 = 15, STGUARD_DTYPE_U32 = 16, STGUARD_DTYPE_F32 = 17,
  STGUARD_DTYPE_C64 = 18, STGUARD_DTYPE_F64 = 19, STGUARD_DTYPE_I64 = 20,
  STGUARD_DTYPE_U64 = 21
} stguard_dtype;

/* One tensor. Pointers are owned by the report and live as long as it. */
typedef struct stguard_tensor {
  const char* name;         /* decoded name, NUL-terminated, may contain NUL */
  size_t name_length;       /* bytes of name, excluding the terminator */
  stguard_dtype dtype;
  const char* dtype_name;   /* "F32", "BF16", ...: static storage */
  size_t rank;              /* number of dimensions (0: a scalar) */
  const uint64_t* shape;    /* rank dimensions; not NULL even when rank is 0 */
  uint64_t data_begin;      /* data_offsets as in the header: relative to the */
  uint64_t data_end;        /* data section (file offset 8 + header bytes), end exclusive */
} stguard_tensor;

/* Entries in the table (0 when the header gave no table). */
STGUARD_API stguard_status stguard_report_tensor_table_size(const stguard_report* report,
                                                            size_t* out);
/* Tensor `index` (0 <= index < size). out_size: sizeof(stguard_tensor), so
 * that the struct can grow (a smaller size is an error; fields past the
 * ones this revision knows are left untouched). */
STGUARD_API stguard_status stguard_report_tensor(const stguard_report* report, size_t index,
                                                 stguard_tensor* out, size_t out_size);

/* -- Deep-scan hashes ---------------------------------------------------------
 * Needs a report made with STGUARD_FLAG_DEEP_SCAN (otherwise
 * STGUARD_ERR_INVALID_ARGUMENT); the file's SHA-256 is stguard_report_sha256.
 * The tensors hashed are those of the JSON's "content": in data order, none
 * when the header or layout did not tile the data section
 * (tensors_scanned 0). */
typedef struct stguard_tensor_hash {
  const char* name;         /* owned by the report, may contain NUL */
  size_t name_length;
  stguard_dtype dtype;
  uint64_t data_begin;      /* relative to the data section, as in stguard_tensor */
  uint64_t data_end;
  char sha256[65];          /* 64 lower-case hex digits and a NUL */
  uint64_t nan_count;       /* float dtypes: NaN and Inf encodings */
  uint64_t inf_count;
  uint64_t invalid_bool_count; /* BOOL bytes other than 0 and 1 */
} stguard_tensor_hash;

/* *tensors_scanned: 1 when the tensors were cut out and hashed; *count: how
 * many were (tensors_scanned may be NULL). */
STGUARD_API stguard_status stguard_report_hashed_tensor_count(const stguard_report* report,
                                                              int* tensors_scanned,
                                                              size_t* count);
/* out_size: sizeof(stguard_tensor_hash). */
STGUARD_API stguard_status stguard_report_hashed_tensor(const stguard_report* report,
                                                        size_t index, stguard_tensor_hash* out,
                                                        size_t out_size);

/* -- A header already in memory ------------------------------------------------
 * For a reader that fetches ranges (HTTP, object stores): validates a file
 * from its first bytes and its total size, with the verdict and findings
 * stguard_validate_file gives for the whole file (header only: no deep
 * scan, which needs the data). `data` holds the first `size` bytes of the
 * file (size <= file_size): the 8-byte prefix and the header it announces.
 * When the framing or the header text is broken the validation also looks
 * at the first min(file_size, 65536) bytes, to name the format the file
 * really is; if `data` ends too soon for what the validation reads, the
 * result is STGUARD_ERR_NEED_MORE_DATA and no report.
 *
 * stguard_header_bytes_needed tells how many first bytes to fetch so that
 * this never happens: given the first min(file_size, 8) bytes (or more) in
 * data/size, *out = min(file_size, max(65536, 8 + N)) where N is the
 * prefix's header length, or min(file_size, 65536) when N exceeds the
 * policy's max_header_bytes or the file. At most 65536 + the policy's
 * header limit. STGUARD_ERR_NEED_MORE_DATA when size < min(file_size, 8).
 *
 * flags: 0 or STGUARD_FLAG_TENSORS (STGUARD_FLAG_DEEP_SCAN is refused:
 * the data is not there). The report's "path" is "-" unless given to
 * stguard_report_json. data is only read during the call. */
STGUARD_API stguard_status stguard_header_bytes_needed(const stguard_policy* policy,
                                                       const void* data, size_t size,
                                                       uint64_t file_size, uint64_t* out);
STGUARD_API stguard_status stguard_validate_header(const stguard_policy* policy,
                                                   const void* data, size_t size,
                                                   uint64_t file_size, uint32_t flags,
                                                   stguard_report** out);

/* -- Checkpoints and directories -----------------------------------------------
 * Judges `path` as `stguard check PATH` does (stguard/scan.h): a directory is
 * walked (every file a loader could open, each distinct file once, configs
 * and text skipped), an *.safetensors.index.json is validated with every
 * shard it names and cross-checked, any other file by its name and bytes.
 * Symlinks and shard names may lead only inside the policy's symlink_root,
 * else the directory walked (or the index's directory, or the Hub cache
 * repository holding it), as `check` without --root. A path that does not
 * exist or cannot be read is a file with io_ok 0 in the result, not an
 * error (as the CLI lists it under "errors").
 *
 * flags: 0 or STGUARD_FLAG_DEEP_SCAN (each file read and hashed, as
 * `check --deep`). Files are validated one at a time, in the calling
 * thread. The result is immutable: any number of threads may read it. */
typedef struct stguard_checkpoint stguard_checkpoint;

typedef enum stguard_file_role {
  STGUARD_ROLE_SAFETENSORS = 0, /* validated as a safetensors file */
  STGUARD_ROLE_INDEX = 1,       /* a checkpoint index, cross-checked with its shards */
  STGUARD_ROLE_SHARD = 2,       /* a shard, validated with the index that names it */
  STGUARD_ROLE_MODEL_FILE = 3   /* another format a loader could open (pickles graded) */
} stguard_file_role;

/* One judged file. Pointers are owned by the checkpoint. */
typedef struct stguard_judged_file {
  const char* path;          /* as met: the argument joined with the names below it */
  size_t path_length;
  stguard_file_role role;
  const char* index;         /* STGUARD_ROLE_SHARD: the index naming it, else "" */
  int io_ok;                 /* 0: the file could not be read (io_error says why) */
  const char* io_error;      /* "" when io_ok */
  stguard_verdict verdict;   /* STGUARD_VERDICT_REJECT when !io_ok */
  size_t finding_count;      /* findings: stguard_checkpoint_finding */
  uint64_t file_size;
  uint64_t header_bytes;
  uint64_t tensor_count;     /* an index: the tensors it lists */
} stguard_judged_file;

STGUARD_API stguard_status stguard_validate_checkpoint(const stguard_policy* policy,
                                                       const char* path, uint32_t flags,
                                                       stguard_checkpoint** out);
/* ACCEPT only when at least one file was judged and every file was read and
 * accepted: what `stguard check` exits 0 for (1: a file rejected; 2: a file
 * unreadable, or no model file found, both REJECT here). */
STGUARD_API stguard_status stguard_checkpoint_verdict(const stguard_checkpoint* checkpoint,
                                                      stguard_verdict* out);
STGUARD_API stguard_status stguard_checkpoint_file_count(const stguard_checkpoint* checkpoint,
                                                         size_t* out);
/* File `index`, in the CLI's order (each index with its shards first).
 * out_size: sizeof(stguard_judged_file). */
STGUARD_API stguard_status stguard_checkpoint_file(const stguard_checkpoint* checkpoint,
                                                   size_t index, stguard_judged_file* out,
                                                   size_t out_size);
/* Finding `finding_index` of file `file_index`, as stguard_report_finding. */
STGUARD_API stguard_status stguard_checkpoint_finding(const stguard_checkpoint* checkpoint,
                                                      size_t file_index, size_t finding_index,
                                                      stguard_finding* out);
/* Files the walk skipped, by reason: 5 counters in the order of the JSON's
 * "skipped" object (text-or-config, not-a-model, not-a-regular-file,
 * directory-symlink, git-metadata). `out` has room for `count` (>= 5). */
STGUARD_API stguard_status stguard_checkpoint_skipped(const stguard_checkpoint* checkpoint,
                                                      uint64_t* out, size_t count);
/* What `stguard check --format json PATH` prints (flags 0), or with
 * STGUARD_JSON_LINE what `--format jsonl` prints (a line per file).
 * Ownership as stguard_report_json. */
STGUARD_API stguard_status stguard_checkpoint_json(const stguard_checkpoint* checkpoint,
                                                   uint32_t flags, char** out,
                                                   size_t* out_length);
STGUARD_API void stguard_checkpoint_free(stguard_checkpoint* checkpoint);

/* ---- Revision 3 (STGUARD_C_API_REVISION >= 3) ---------------------------
 * STGUARD_FLAG_VALUE_RULES (above), and a stream read through a callback, for a caller whose stream has no file
 * descriptor (a Python file object, a decompressor, an HTTP body): the same
 * report as stguard_validate_fd gives for the same bytes, path "-".
 *
 * read(user_data, buffer, capacity) writes at most `capacity` (>= 1) bytes
 * to `buffer` and returns how many it wrote: 0 at the end of the stream,
 * -1 on an error. A return above `capacity` or below -1 counts as an error.
 * It is called only during stguard_validate_reader, from the calling
 * thread, in stream order, until it returns 0 or an error: the whole stream
 * is read, as a descriptor is. After an error it is not called again and
 * the result is STGUARD_ERR_IO ("read error"), no report. Memory: the
 * header plus a fixed buffer (the stream is never held whole). Flags and
 * errors as stguard_validate_fd, plus STGUARD_ERR_INVALID_ARGUMENT for a
 * NULL read function; policy must be a live handle. */
typedef int64_t (*stguard_read_function)(void* user_data, char* buffer, size_t capacity);
STGUARD_API stguard_status stguard_validate_reader(const stguard_policy* policy,
                                                   stguard_read_function read, void* user_data,
                                                   uint32_t flags, stguard_report** out);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* STGUARD_STGUARD_H_ */
