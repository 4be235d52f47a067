// stguard: validates safetensors files before anything loads them.
//
//   stguard check [-p NAME|FILE] [-f text|json|jsonl|sarif] [-j N] [-o FILE] [-q]
//                 [--fail-on error|warning] [--include GLOB]... [--exclude GLOB]...
//                 [--color auto|always|never] [--root DIR] [--deep]
//                 [--allow-http] [--timeout SECONDS] [--] PATH...
//                 (- is standard input; https://URL and hf://ORG/NAME[@REV][/FILE]
//                 are checked remotely, validator/remote/)
//   stguard verify [-p NAME|FILE] [--root DIR] MANIFEST
//   stguard explain CODE|ID|RULE   (311, duplicate-tensor-name or ST311)
//   stguard policy [NAME|FILE]
//   stguard codes
//   stguard help [COMMAND] | COMMAND --help | --help | -V, --version
//
// Exit status: 0 every file accepted (verify: every file unchanged); 1 some
// file rejected (or changed; with --fail-on warning, also a warning); 2 usage
// or I/O error (a missing or unreadable file, an unwritable --output, a bad
// policy or manifest); 3 nothing to check (no model file found: an empty
// directory, or every file skipped or excluded).
//
// Arguments are parsed with CLI11 (Debian libcli11-dev); each command is
// run by its own file: check_command.cc, verify.cc, explain.cc.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "check_command.h"
#include "cli_common.h"
#include "explain.h"
#include "render.h"
#include "stguard/validate.h"
#include "verify.h"

namespace stguard::cli {
namespace {

constexpr const char* kExitStatus =
    "Exit status: 0 every file accepted; 1 a file rejected (with --fail-on warning,\n"
    "also a file with a warning); 2 usage or I/O error (a missing or unreadable file,\n"
    "an unwritable --output, a bad policy); 3 nothing to check (no model file found:\n"
    "an empty directory, or every file skipped or excluded).";

constexpr const char* kTopFooter =
    "Examples:\n"
    "  stguard check model.safetensors         policy 'default', a text report\n"
    "  stguard check -j 2 -f sarif -o stguard.sarif models/\n"
    "  stguard check --exclude 'test/*' --fail-on warning models/\n"
    "  curl -s \"$URL\" | stguard check -        standard input, as it streams\n"
    "  stguard explain ST311                   what a finding code means\n"
    "Run 'stguard COMMAND --help' for a command's options.\n\n";

constexpr const char* kCheckFooter =
    "A directory is walked: every *.safetensors file, each *.safetensors.index*.json\n"
    "with all its shards, and every other file a loader could open (pickles, *.bin,\n"
    "*.pt, *.npy, *.gguf, ...); config and text files and .git/ are skipped. Each\n"
    "distinct file (device and inode) is checked once, however many times it is\n"
    "named (a/b, ./a/b, a symlink and its target): its other names are listed as\n"
    "'also at'.\n\n"
    "--include and --exclude filter what a directory walk meets (paths named on the\n"
    "command line are always checked). Each GLOB is an fnmatch(3) pattern without\n"
    "flags ('*' and '?' match '/' too; [...] classes) matched against the path\n"
    "relative to the directory walked ('sub/model.bin') and against the base name\n"
    "('model.bin'). A file is checked when no --include is given or one matches,\n"
    "and no --exclude matches; a directory that an --exclude matches is not entered.\n"
    "Quote globs so the shell does not expand them.\n\n";

// Adds -p/--policy to a command.
void AddPolicyOption(CLI::App& command, std::string& policy) {
  command
      .add_option("-p,--policy", policy,
                  "compat | default | strict, or a policy file (default: default)")
      ->type_name("NAME|FILE");
}

// A repeatable option of one GLOB each time: "--include a --include b"
// (never "--include a b", where b is a PATH).
void AddGlobOption(CLI::App& command, const char* name, std::vector<std::string>& globs,
                   const char* description) {
  command.add_option(name, globs, description)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("GLOB");
}

// CLI11's error, as stguard words usage errors: exit status 2.
int ParseFailure(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* command = &app;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;
  const std::string name = command == &app ? "stguard" : "stguard " + command->get_name();
  // The message can quote an argument: escaped like every name shown.
  std::cerr << name << ": " << TerminalSafe(e.what()) << "\nRun '" << name
            << " --help' for the options.\n";
  return kExitUsage;
}

int Main(int argc, char** argv) {
  CLI::App app{"stguard validates safetensors files (and names any other model format it\n"
               "meets) under a policy, before anything loads them.",
               "stguard"};
  app.set_version_flag("-V,--version", "stguard " + std::string(Version()));
  app.require_subcommand(1);
  app.get_formatter()->column_width(28);
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");
  // A value given twice: the last one counts.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  CheckArgs check_args;
  CLI::App* check = app.add_subcommand(
      "check", "Validate files and directories (every file a loader could open)");
  check->fallthrough();  // -V after the command
  check->footer(std::string(kCheckFooter) + kExitStatus);
  AddPolicyOption(*check, check_args.policy);
  check
      ->add_option("-f,--format", check_args.format,
                   "text (default), json (one document), jsonl (a line per file,\n"
                   "written as each is done) or sarif (SARIF 2.1.0, code scanning)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "sarif"}).description(""))
      ->type_name("FORMAT");
  check
      ->add_option("-o,--output", check_args.output,
                   "write the report to FILE instead of standard output, whole or\n"
                   "not at all (a temporary file renamed over FILE)")
      ->type_name("FILE");
  check
      ->add_option("-j,--jobs", check_args.jobs,
                   "check N files in parallel, 1 to 256 (default 1); output stays in\n"
                   "input order; capped at half the memory / 320 MiB per job")
      ->check(CLI::Range(1u, 256u).description(""))
      ->type_name("N");
  check->add_flag("-q,--quiet", check_args.quiet,
                  "--format text only: print just the files that fail (rejected,\n"
                  "unreadable; with --fail-on warning, warned) and the summary line");
  check
      ->add_option("--fail-on", check_args.fail_on,
                   "error (default): exit 1 when a file is rejected; warning: also\n"
                   "when a finding is a warning")
      ->check(CLI::IsMember({"error", "warning"}).description(""))
      ->type_name("LEVEL");
  AddGlobOption(*check, "--include", check_args.include,
                "walk only files matching GLOB (repeatable; see below)");
  AddGlobOption(*check, "--exclude", check_args.exclude,
                "leave out files and directories matching GLOB (repeatable)");
  check
      ->add_option("--color", check_args.color,
                   "text colour: auto (default: only on a terminal, and only when\n"
                   "NO_COLOR is unset or empty), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}).description(""))
      ->type_name("WHEN");
  check
      ->add_option("--root", check_args.root,
                   "where symlinks and shard names may lead (default: the directory\n"
                   "walked or the index's; a Hub cache repository)")
      ->type_name("DIR");
  check
      ->add_option("--sarif-root", check_args.sarif_root,
                   "--format sarif only: result URIs relative to DIR, the run's\n"
                   "%SRCROOT% (default: the current directory; the repository root)")
      ->type_name("DIR");
  check->add_flag("--deep", check_args.deep,
                  "also read the data: SHA-256 of each file and tensor (the JSON\n"
                  "report is then a manifest for 'verify'), NaN/Inf and BOOL values");
  check->add_flag("--allow-http", check_args.allow_http,
                  "remote checks: allow plain http:// to hosts that are not\n"
                  "loopback (https is required otherwise, redirects included)");
  check
      ->add_option("--timeout", check_args.timeout,
                   "remote checks: give up on a connection after SECONDS, and on a\n"
                   "transfer that stalls that long (default 30)")
      ->check(CLI::Range(1u, 3600u).description(""))
      ->type_name("SECONDS");
  check
      ->add_option("PATH", check_args.paths,
                   "files and directories; - reads one file from standard input;\n"
                   "https://URL and hf://ORG/NAME[@REV][/FILE] are checked remotely\n"
                   "(from their headers, by range requests); after --, paths may\n"
                   "start with -")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("");

  VerifyArgs verify_args;
  CLI::App* verify = app.add_subcommand(
      "verify", "Re-check the files of a 'check --deep -f json' report, hash by hash");
  verify->fallthrough();
  verify->footer(
      "A file outside the root (after symlinks) is refused, an error. The manifest is\n"
      "a regular file of at most 256 MiB.\n\n"
      "Exit status: 0 every file unchanged and accepted; 1 a file changed or rejected;\n"
      "2 usage or I/O error (a missing file, a bad manifest or policy).");
  AddPolicyOption(*verify, verify_args.policy);
  verify
      ->add_option("--root", verify_args.root,
                   "where the files must be and relative paths start from\n"
                   "(default: the manifest's directory)")
      ->type_name("DIR");
  verify->add_option("MANIFEST", verify_args.manifest, "the report of 'check --deep -f json'")
      ->required();

  std::string code;
  CLI::App* explain = app.add_subcommand("explain", "What a finding code means");
  explain->fallthrough();
  explain->footer(
      "CODE is a number (311), an id (duplicate-tensor-name) or a SARIF rule id\n"
      "(ST311, any case). An unknown one lists the close ones (exit status 2).");
  explain->add_option("CODE", code, "311, duplicate-tensor-name or ST311")->required();

  std::string policy_name = "default";
  CLI::App* policy = app.add_subcommand("policy", "Print a policy's every knob as JSON");
  policy->fallthrough();
  policy->add_option("POLICY", policy_name,
                     "compat | default | strict, or a policy file (default: default)")
      ->type_name("NAME|FILE");

  CLI::App* codes = app.add_subcommand("codes", "List every finding code (Markdown)");
  codes->fallthrough();

  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Print this help, or a command's");
  help->add_option("COMMAND", help_topic, "check, verify, explain, policy or codes");

  for (CLI::App* command : {check, verify, explain, policy, codes, help}) {
    command->group("Commands");
  }
  app.footer(std::string(kTopFooter) + kExitStatus);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // to standard output, exit status 0
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ParseFailure(app, e);
  }

  if (check->parsed()) return RunCheck(check_args);
  if (verify->parsed()) return RunVerify(verify_args);
  if (explain->parsed()) return RunExplain(code);
  if (codes->parsed()) return RunCodes();
  if (policy->parsed()) {
    const std::optional<Policy> loaded = LoadPolicyArgument(policy_name);
    if (!loaded) return kExitUsage;
    std::cout << PolicyToJson(*loaded);
    return kExitAccepted;
  }
  if (help_topic.empty()) {
    std::cout << app.help();
    return kExitAccepted;
  }
  for (const CLI::App* command : {check, verify, explain, policy, codes}) {
    if (command->get_name() == help_topic) {
      std::cout << command->help("stguard");
      return kExitAccepted;
    }
  }
  std::cerr << "stguard help: unknown command '" << TerminalSafe(help_topic)
            << "'\nRun 'stguard --help' for the commands.\n";
  return kExitUsage;
}

}  // namespace
}  // namespace stguard::cli

int main(int argc, char** argv) {
  try {
    return stguard::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "stguard: " << e.what() << "\n";
    return stguard::cli::kExitUsage;
  }
}
