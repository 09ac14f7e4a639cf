// Atomic directory projection (atomic_writer.h), after the kubelet's volume/util AtomicWriter.
#include "core/agent/atomic_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace capstan::agent {
namespace {

namespace fs = std::filesystem;
constexpr char kDataLink[] = "..data";
constexpr char kTmpLink[] = "..data_tmp";

Status Errno(const std::string& what) { return InternalError(what + ": " + std::strerror(errno)); }

Status CheckPath(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.rfind("..", 0) == 0) {
    return InvalidError("invalid projected path \"" + p + "\"");
  }
  for (const fs::path& part : fs::path(p)) {
    if (part == "..") return InvalidError("invalid projected path \"" + p + "\": contains '..'");
  }
  return Status::Ok();
}

std::string TopLevel(const std::string& p) { return fs::path(p).begin()->string(); }

// Whether `payload_dir` already holds exactly `files` with the same contents and modes.
bool Same(const std::string& payload_dir, const std::vector<ProjectedFile>& files) {
  std::error_code ec;
  size_t regular = 0;
  for (auto it = fs::recursive_directory_iterator(payload_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) ++regular;
  }
  if (ec || regular != files.size()) return false;
  for (const ProjectedFile& f : files) {
    std::string path = payload_dir + "/" + f.path;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || (st.st_mode & 07777) != f.mode) return false;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() != f.data) return false;
  }
  return true;
}

Status WriteFile(const std::string& path, const ProjectedFile& f) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return InternalError("creating " + path + ": " + ec.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << f.data;
  out.close();
  if (!out) return InternalError("writing " + path);
  if (chmod(path.c_str(), f.mode) != 0) return Errno("chmod " + path);
  return Status::Ok();
}

}  // namespace

Status WriteAtomic(const std::string& dir, const std::vector<ProjectedFile>& files, bool* changed) {
  if (changed != nullptr) *changed = false;
  std::set<std::string> top;
  for (const ProjectedFile& f : files) {
    CAPSTAN_RETURN_IF_ERROR(CheckPath(f.path));
    top.insert(TopLevel(f.path));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("creating " + dir + ": " + ec.message());
  std::string data_link = dir + "/" + kDataLink;
  std::string old_target;
  if (fs::is_symlink(data_link, ec)) {
    old_target = fs::read_symlink(data_link, ec).string();
    if (!ec && Same(dir + "/" + old_target, files)) return Status::Ok();
  }
  std::string tmpl = dir + "/.." + std::to_string(time(nullptr)) + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Errno("mkdtemp in " + dir);
  chmod(tmpl.c_str(), 0755);
  std::string ts_name = fs::path(tmpl).filename().string();
  for (const ProjectedFile& f : files) {
    Status s = WriteFile(tmpl + "/" + f.path, f);
    if (!s.ok()) {
      fs::remove_all(tmpl, ec);
      return s;
    }
  }
  std::string tmp_link = dir + "/" + kTmpLink;
  unlink(tmp_link.c_str());
  if (symlink(ts_name.c_str(), tmp_link.c_str()) != 0) return Errno("symlink " + tmp_link);
  if (rename(tmp_link.c_str(), data_link.c_str()) != 0) return Errno("rename " + data_link);
  // User-visible names: one symlink per top-level entry, through ..data.
  for (const std::string& t : top) {
    std::string link = dir + "/" + t;
    if (fs::is_symlink(link, ec)) continue;
    if (symlink((std::string(kDataLink) + "/" + t).c_str(), link.c_str()) != 0) {
      return Errno("symlink " + link);
    }
  }
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("..", 0) == 0) continue;
    if (e.is_symlink() && top.count(name) == 0) fs::remove(e.path(), ec);
  }
  if (!old_target.empty() && old_target != ts_name) fs::remove_all(dir + "/" + old_target, ec);
  if (changed != nullptr) *changed = true;
  return Status::Ok();
}

}  // namespace capstan::agent
