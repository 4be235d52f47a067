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
 *     threads validating concurrently; a report may be read concurrently.
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

typedef enum stguard_status {
  STGUARD_OK = 0,
  STGUARD_ERR_INVALID_ARGUMENT = 1, /* a NULL or out-of-range argument */
  STGUARD_ERR_UNKNOWN_POLICY = 2,   /* no built-in policy by that name */
  STGUARD_ERR_BAD_POLICY = 3,       /* a policy file that cannot be read or is invalid */
  STGUARD_ERR_IO = 4,               /* the file to validate cannot be read */
  STGUARD_ERR_NO_MEMORY = 5,
  STGUARD_ERR_INTERNAL = 6
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

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* STGUARD_STGUARD_H_ */
