#pragma once
// Names the files discovery found: looks at each new file (its first bytes against the files
// being read and the saved positions), lets decide_identity (file_identity.h) say who it is, and
// carries that out: its checkpoint key and source identity, where reading starts, a held or
// released copytruncate copy, a claimed saved position.
//
// Identity: a file is known by a fingerprint of its first bytes (fingerprint.h), with device and
// inode as a hint, so a renamed file keeps its position, a reused inode with other content is a
// new file, and two files with the same first bytes are still two files.
#include <set>
#include <string>
#include <vector>

#include "core/pipeline/checkpoint_store.h"
#include "plugins/inputs/file/file_identity.h"
#include "plugins/inputs/file/file_input_options.h"
#include "plugins/inputs/file/tracked_file.h"

namespace auditrelay::file_input {

class Identifier {
 public:
  Identifier(const std::string& name, const FileInputOptions& opts, TrackedFiles& files,
             CheckpointStore& checkpoints)
      : name_(name), opts_(opts), files_(files), checkpoints_(checkpoints) {}

  // The positions this input saved in an earlier run; false when there were none (the very
  // first start).
  bool load_saved_positions();
  // New files are identified before any is read, so one rotated while the agent was stopped is
  // known as such (and drained first) before its successor's first read. Files whose inode has
  // a saved position go first: they claim it before a copy with the same content could.
  // Identified files are added to `dirty`: their first read is still to come.
  void identify_new_files(std::set<TrackedFile*>& dirty);
  // Decides who the file is and where to start; false while it cannot be told yet (or it is a
  // held copy).
  bool identify(TrackedFile& f);
  // `original` was truncated: the new files are identified, and its copies (copytruncate) are
  // read from where it was. True when there was a copy.
  bool take_copies_of(const TrackedFile& original);

 private:
  struct Looks {
    IdentitySeen seen;
    std::vector<TrackedFile*> peers;  // parallel to seen.peers
  };
  Looks look_at(TrackedFile& f) const;
  void look_at_peers(const TrackedFile& f, Looks& looks) const;
  void look_at_saved(const TrackedFile& f, IdentitySeen& seen) const;
  bool inode_still_holds(const SavedPosition& s) const;

  void hold_as_copy(TrackedFile& copy, const TrackedFile& original);
  void read_as_copy(TrackedFile& copy, const TrackedFile& original);
  void resume(TrackedFile& f, const IdentityDecision& d);
  void set_identity(TrackedFile& f, const Fingerprint& fp, bool distinct);

  const std::string& name_;
  const FileInputOptions& opts_;
  TrackedFiles& files_;
  CheckpointStore& checkpoints_;
};

}  // namespace auditrelay::file_input
