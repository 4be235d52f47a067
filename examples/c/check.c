/* check POLICY FILE [--json]: validates one safetensors file with the
 * stguard C API and lists its findings and its tensor table; with --json,
 * prints the report as `stguard check --format json FILE` does instead.
 * Exit status: 0 accepted, 1 rejected, 2 error (bad policy, unreadable file).
 *
 * Build against an installed stguard:
 *   cc check.c -o check $(pkg-config --cflags --libs stguard)
 */
#include <stdio.h>
#include <string.h>
#include <stguard/stguard.h>

static void print_escaped(const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = (unsigned char)text[i];
    if (c < 0x20 || c == 0x7f || c == '\\') {
      printf("\\x%02x", c);
    } else {
      putchar(c);
    }
  }
}

/* The tensor table (STGUARD_FLAG_TENSORS), one line per tensor. */
static int print_tensors(const stguard_report* report) {
  size_t count = 0;
  if (stguard_report_tensor_table_size(report, &count) != STGUARD_OK) return -1;
  for (size_t i = 0; i < count; ++i) {
    stguard_tensor t;
    if (stguard_report_tensor(report, i, &t, sizeof t) != STGUARD_OK) return -1;
    printf("  tensor \"");
    print_escaped(t.name, t.name_length);
    printf("\" %s [", t.dtype_name);
    for (size_t d = 0; d < t.rank; ++d) {
      printf("%s%llu", d == 0 ? "" : ", ", (unsigned long long)t.shape[d]);
    }
    printf("] bytes %llu..%llu\n", (unsigned long long)t.data_begin,
           (unsigned long long)t.data_end);
  }
  return 0;
}

int main(int argc, char** argv) {
  const int json = argc == 4 && strcmp(argv[3], "--json") == 0;
  if (argc != 3 && !json) {
    fprintf(stderr,
            "usage: %s POLICY FILE [--json]   (POLICY: compat, default, strict or a file)\n",
            argv[0]);
    return 2;
  }
  stguard_policy* policy = NULL;
  stguard_status status = stguard_policy_resolve(argv[1], &policy);
  if (status != STGUARD_OK) {
    fprintf(stderr, "check: bad policy: %s\n", stguard_last_error());
    return 2;
  }
  stguard_report* report = NULL;
  status = stguard_validate_file_ex(policy, argv[2], STGUARD_FLAG_TENSORS, &report);
  if (status != STGUARD_OK) {
    fprintf(stderr, "check: %s: %s\n", stguard_status_string(status), stguard_last_error());
    stguard_policy_free(policy);
    return 2;
  }
  stguard_verdict verdict = STGUARD_VERDICT_REJECT;
  size_t count = 0;
  if (stguard_report_verdict(report, &verdict) != STGUARD_OK ||
      stguard_report_finding_count(report, &count) != STGUARD_OK) {
    fprintf(stderr, "check: %s\n", stguard_last_error());
    stguard_report_free(report);
    stguard_policy_free(policy);
    return 2;
  }
  if (json) {
    char* text = NULL;
    size_t length = 0;
    /* NULL path: the one given to stguard_validate_file_ex. */
    if (stguard_report_json(report, NULL, 0, &text, &length) != STGUARD_OK) {
      fprintf(stderr, "check: %s\n", stguard_last_error());
      stguard_report_free(report);
      stguard_policy_free(policy);
      return 2;
    }
    fwrite(text, 1, length, stdout);
    stguard_string_free(text);
    stguard_report_free(report);
    stguard_policy_free(policy);
    return verdict == STGUARD_VERDICT_ACCEPT ? 0 : 1;
  }
  printf("%s: %s (stguard %s)\n", argv[2],
         verdict == STGUARD_VERDICT_ACCEPT ? "accept" : "reject", stguard_version());
  for (size_t i = 0; i < count; ++i) {
    stguard_finding f;
    if (stguard_report_finding(report, i, &f) != STGUARD_OK) continue;
    static const char* const kSeverity[] = {"info", "warning", "error"};
    printf("  %u %s %s at %llu", f.code, f.id, kSeverity[f.severity],
           (unsigned long long)f.offset);
    if (f.has_tensor) {
      printf(" tensor \"");
      print_escaped(f.tensor, f.tensor_length);
      printf("\"");
    }
    printf(": %s\n", f.message);
  }
  if (print_tensors(report) != 0) fprintf(stderr, "check: %s\n", stguard_last_error());
  stguard_report_free(report);
  stguard_policy_free(policy);
  return verdict == STGUARD_VERDICT_ACCEPT ? 0 : 1;
}
