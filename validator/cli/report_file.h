// check --output FILE: the report written to FILE whole or not at all.
//
// The report goes to a temporary file beside FILE (".FILE.stguard-XXXXXX"
// in FILE's directory), which replaces FILE by rename() once it is fully
// written and synced: a reader of FILE sees the old report or the new one,
// never a part. A FILE that is a symlink to a regular file has its target
// replaced (the link stays); one that exists and is not a regular file
// (/dev/stdout, a FIFO) is written directly.
#ifndef STGUARD_CLI_REPORT_FILE_H_
#define STGUARD_CLI_REPORT_FILE_H_

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

namespace stguard::cli {

class ReportFile {
 public:
  ReportFile();
  ~ReportFile();  // removes the temporary file unless Commit succeeded
  ReportFile(const ReportFile&) = delete;
  ReportFile& operator=(const ReportFile&) = delete;

  // Creates the temporary file (or opens FILE itself, see above). "" on
  // success, else why FILE cannot be written.
  std::string Open(const std::string& path);
  std::ostream& stream() { return stream_; }
  // The temporary file's name without its directory ("" when FILE is
  // written directly), for a walk of FILE's directory to leave out.
  std::string temp_name() const;
  // Flushes, syncs and renames the temporary file over FILE. "" on
  // success, else why the report could not be written (FILE unchanged).
  std::string Commit();

 private:
  class FdBuf;
  std::unique_ptr<FdBuf> buf_;
  std::ostream stream_;
  std::string path_;       // FILE, or the regular file it links to
  std::string temp_path_;  // "" when FILE is written directly
  int fd_ = -1;
};

}  // namespace stguard::cli

#endif  // STGUARD_CLI_REPORT_FILE_H_
