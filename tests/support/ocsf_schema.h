#pragma once
// An OCSF conformance checker for tests: loads the OCSF schema definition files (release 1.2.0,
// as the OCSF project publishes them: dictionary.json, categories.json, events/, objects/,
// profiles/, includes/) and lists everything wrong with one event.
//
// The files are compiled the way the OCSF server compiles them, so that "conforms" means what it
// means there:
// - a file's "$include"d files are merged under its own attributes (its own keys win);
// - "extends" chains are merged parent first (the child's attributes deep-merge over the
//   parent's; its other keys, such as "constraints", replace the parent's);
// - each attribute's dictionary.json entry is merged under it (so enums are the union of the
//   dictionary's and the class's or object's values);
// - attributes that come from a profile file carry "profile": <name> and only exist when the
//   event's metadata.profiles lists that profile; a class writes "profile": null to take an
//   included attribute out of the profile (authentication's actor);
// - every timestamp_t attribute gets an optional "<name>_dt" sibling in the datetime profile;
// - observable.type_id's values are gathered from the "observable" numbers on types, dictionary
//   attributes and objects.
// The extensions/ folder (linux, windows) is not loaded: events are checked against core OCSF.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace auditrelay::test {

// Where the schema lives next to a checkout: "<source dir>/../shared/ocsf/1.2.0".
inline std::string ocsf_schema_dir(const std::string& source_dir) {
  return source_dir + "/../shared/ocsf/1.2.0";
}

namespace ocsf_detail {

using nlohmann::json;

inline json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("OCSF schema: cannot read " + path.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error("OCSF schema: " + path.string() + ": " + e.what());
  }
}

// The JSON kinds the OCSF data types come down to.
enum class Primitive { kString, kInteger, kNumber, kBoolean, kAny };

// A dictionary data type (string_t, port_t, timestamp_t, ...) with the limits the OCSF server
// enforces as errors. Regexes (ip_t, mac_t, ...) are left out: the server only warns on them.
struct DataType {
  Primitive primitive = Primitive::kAny;
  std::optional<std::pair<int64_t, int64_t>> range;  // port_t: 0..65535
  std::optional<size_t> max_len;                     // in characters
};

struct Attribute {
  std::string type;  // a data type ("port_t") or an object name ("network_endpoint")
  bool is_array = false;
  bool required = false;
  std::string profile;  // empty: exists whatever profiles the event applies
  std::optional<std::set<std::string>> enum_keys;
};

// A class or an object, compiled.
struct Definition {
  std::string owner;  // "class 3002" or "object network_endpoint", for messages
  std::map<std::string, Attribute> attributes;
  std::vector<std::string> at_least_one;  // attribute names, or dotted paths into objects
  std::vector<std::string> just_one;
};

struct EventClass {
  Definition definition;
  std::string caption;
  int64_t category_uid = 0;
};

inline std::string join_path(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

inline std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Enum keys are strings ("1", "99"); a value matches the key its JSON text spells.
inline std::string enum_key(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Whether a (possibly dotted) attribute path names a non-null value: constraints may reach into
// objects (patch_state lists "device.os.sp_name").
inline bool present(const json& object, const std::string& dotted) {
  const json* at = &object;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    if (!at->is_object()) return false;
    const auto it = at->find(dotted.substr(start, dot - start));
    if (it == at->end() || it->is_null()) return false;
    if (dot == std::string::npos) return true;
    at = &*it;
    start = dot + 1;
  }
}

inline size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count every byte that starts a character
  return n;
}

}  // namespace ocsf_detail

class OcsfSchema {
 public:
  using json = nlohmann::json;

  // Loads every class, object, profile and the dictionary from dir; throws std::runtime_error
  // with a message on failure (missing folder or file, bad JSON, a reference to nothing).
  explicit OcsfSchema(const std::string& dir) : root_(dir) {
    if (!std::filesystem::is_directory(root_)) {
      throw std::runtime_error("OCSF schema: " + dir + " is not a directory");
    }
    load_dictionary();
    load_categories();
    load_profile_names();
    load_objects();
    load_classes();
  }

  // Everything wrong with one event, empty when it conforms. The class is found by
  // event["class_uid"].
  std::vector<std::string> check(const json& event) const {
    std::vector<std::string> errors;
    if (!event.is_object()) return {"event: expected object"};
    const ocsf_detail::EventClass* cls = class_of(event, errors);
    if (cls == nullptr) return errors;  // nothing to check the rest against
    Context ctx{applied_profiles(event, errors), errors};
    check_definition(cls->definition, event, "", ctx);
    check_classification(*cls, event, errors);
    return errors;
  }

  // The caption of a class ("Authentication" for 3002), empty when there is no such class.
  std::string class_caption(int class_uid) const {
    const auto it = classes_.find(class_uid);
    return it == classes_.end() ? "" : it->second.caption;
  }

  // Whether `value` is a defined enum value of attribute `attr` of class `class_uid`; `attr` may
  // be a dotted path into objects ("src_endpoint.type_id"). Profiles are not considered.
  bool enum_value_defined(int class_uid, const std::string& attr, const json& value) const {
    const auto cls = classes_.find(class_uid);
    if (cls == classes_.end()) return false;
    const ocsf_detail::Definition* def = &cls->second.definition;
    size_t start = 0;
    while (true) {
      const size_t dot = attr.find('.', start);
      const auto it = def->attributes.find(attr.substr(start, dot - start));
      if (it == def->attributes.end()) return false;
      if (dot == std::string::npos) {
        const auto& keys = it->second.enum_keys;
        return keys && keys->count(ocsf_detail::enum_key(value)) > 0;
      }
      const auto object = objects_.find(it->second.type);
      if (object == objects_.end()) return false;
      def = &object->second;
      start = dot + 1;
    }
  }

 private:
  using Attribute = ocsf_detail::Attribute;
  using Definition = ocsf_detail::Definition;
  using EventClass = ocsf_detail::EventClass;

  // What one check() call carries down into nested objects.
  struct Context {
    std::set<std::string> profiles;  // metadata.profiles
    std::vector<std::string>& errors;
  };

  // ---- loading ----

  void load_dictionary() {
    const json file = ocsf_detail::read_json_file(root_ / "dictionary.json");
    dictionary_ = file.at("attributes");
    data_types_ = file.at("types").at("attributes");
    for (const auto& [name, type] : data_types_.items()) {
      types_[name] = compile_type(data_types_, name);
    }
  }

  // A derived type (ip_t) takes its JSON kind from its base (string_t), and its limits from
  // itself or else from its base, as the OCSF server does.
  static ocsf_detail::DataType compile_type(const json& types, const std::string& name) {
    using ocsf_detail::Primitive;
    static const std::map<std::string, Primitive> kPrimitives = {
        {"string_t", Primitive::kString},   {"integer_t", Primitive::kInteger},
        {"long_t", Primitive::kInteger},    {"float_t", Primitive::kNumber},
        {"boolean_t", Primitive::kBoolean}, {"json_t", Primitive::kAny}};
    const json& type = types.at(name);
    const std::string base_name = type.value("type", name);
    const auto primitive = kPrimitives.find(base_name);
    if (primitive == kPrimitives.end() || !types.contains(base_name)) {
      throw std::runtime_error("OCSF schema: type " + name + " has unknown base " + base_name);
    }
    const json& base = types.at(base_name);
    ocsf_detail::DataType out;
    out.primitive = primitive->second;
    for (const json* t : {&type, &base}) {
      if (!out.range && t->contains("range")) {
        out.range = {t->at("range").at(0).get<int64_t>(), t->at("range").at(1).get<int64_t>()};
      }
      if (!out.max_len && t->contains("max_len")) out.max_len = t->at("max_len").get<size_t>();
    }
    return out;
  }

  void load_categories() {
    const json file = ocsf_detail::read_json_file(root_ / "categories.json");
    for (const auto& [name, category] : file.at("attributes").items()) {
      category_uids_[name] = category.at("uid").get<int64_t>();
    }
  }

  void load_profile_names() {
    for (const auto& entry : std::filesystem::directory_iterator(root_ / "profiles")) {
      if (entry.path().extension() != ".json") continue;
      profile_names_.insert(
          ocsf_detail::read_json_file(entry.path()).at("name").get<std::string>());
    }
  }

  void load_objects() {
    std::map<std::string, json> files;
    for (const auto& entry : std::filesystem::directory_iterator(root_ / "objects")) {
      if (entry.path().extension() != ".json") continue;
      json object = with_includes(ocsf_detail::read_json_file(entry.path()));
      const std::string name = object.at("name").get<std::string>();
      files[name] = std::move(object);
    }
    // Attribute types are checked against object names while compiling, so know them all first.
    for (const auto& [name, file] : files) objects_[name];
    for (const auto& [name, file] : files) {
      objects_[name] = compile(resolve_extends(files, file, 0), "object " + name);
    }
    add_observable_type_ids(files);
  }

  void load_classes() {
    std::map<std::string, json> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root_ / "events")) {
      if (entry.path().extension() != ".json") continue;
      json cls = with_includes(ocsf_detail::read_json_file(entry.path()));
      const std::string name = cls.at("name").get<std::string>();
      files[name] = std::move(cls);
    }
    for (const auto& [name, file] : files) {
      const json resolved = resolve_extends(files, file, 0);
      // Classes without a uid (iam, network, ...) only exist to be extended.
      if (!resolved.contains("uid") && name != "base_event") continue;
      add_class(name, resolved);
    }
  }

  // class_uid = category uid * 1000 + the class's uid; base_event's "other" category is no
  // category (0), as in the OCSF server.
  void add_class(const std::string& name, const json& resolved) {
    const auto category = category_uids_.find(resolved.value("category", ""));
    const int64_t category_uid = category == category_uids_.end() ? 0 : category->second;
    const int64_t class_uid = category_uid * 1000 + resolved.value("uid", int64_t{0});
    EventClass cls;
    cls.caption = resolved.value("caption", name);
    cls.category_uid = category_uid;
    cls.definition = compile(resolved, "class " + std::to_string(class_uid));
    // includes/classification.json gives these placeholder enums ({"0": "Base Event"}, ...);
    // check_classification compares them with the class's own numbers instead.
    for (const char* attr : {"class_uid", "category_uid", "type_uid"}) {
      const auto it = cls.definition.attributes.find(attr);
      if (it != cls.definition.attributes.end()) it->second.enum_keys.reset();
    }
    if (!classes_.emplace(class_uid, std::move(cls)).second) {
      throw std::runtime_error("OCSF schema: two classes with class_uid " +
                               std::to_string(class_uid));
    }
  }

  // A schema file with its "$include"d files (paths relative to the schema root) merged under its
  // own attributes. When several files are included, the earlier ones win, as in the OCSF server.
  json with_includes(json file) const {
    json& attributes = file["attributes"];
    if (attributes.is_null()) attributes = json::object();
    if (!attributes.contains("$include")) return file;
    json includes = attributes["$include"];
    if (includes.is_string()) includes = json::array({includes});
    attributes.erase("$include");
    for (const auto& relative : includes) {
      json merged = included_attributes(relative.get<std::string>());
      merged.merge_patch(attributes);  // deep merge; a null ("profile": null) removes the key
      attributes = std::move(merged);
    }
    return file;
  }

  // The attributes an included file brings, tagged with the profile's name when the file is a
  // profile (its attributes are only in force when an event applies the profile).
  json included_attributes(const std::string& relative) const {
    const json file = with_includes(ocsf_detail::read_json_file(root_ / relative));
    json attributes = file.at("attributes");
    if (file.value("meta", "") == "profile") {
      for (auto& [name, attribute] : attributes.items()) attribute["profile"] = file.at("name");
    }
    return attributes;
  }

  // A class or object merged with everything it extends, parent first.
  static json resolve_extends(const std::map<std::string, json>& files, const json& file,
                              int depth) {
    if (!file.contains("extends")) return file;
    const std::string parent_name = file.at("extends").get<std::string>();
    const auto parent = files.find(parent_name);
    if (parent == files.end() || depth > 32) {
      throw std::runtime_error("OCSF schema: " + file.value("name", "?") + " extends " +
                               parent_name + ", which is not defined (or extends itself)");
    }
    json out = resolve_extends(files, parent->second, depth + 1);
    for (const auto& [key, value] : file.items()) {
      if (key == "attributes") {
        out["attributes"].merge_patch(value);
      } else {
        out[key] = value;  // caption, uid, constraints, ...: the child's replace the parent's
      }
    }
    out.erase("extends");
    return out;
  }

  Definition compile(const json& resolved, const std::string& owner) const {
    Definition def;
    def.owner = owner;
    for (const auto& [name, own] : resolved.at("attributes").items()) {
      if (own.is_null()) continue;  // removed by the class
      const auto entry = dictionary_.find(name);
      if (entry == dictionary_.end()) {
        throw std::runtime_error("OCSF schema: " + owner + " has attribute " + name +
                                 ", which dictionary.json does not define");
      }
      json merged = *entry;
      merged.merge_patch(own);
      def.attributes[name] = compile_attribute(merged, owner + " attribute " + name);
    }
    add_datetime_siblings(def);
    const json constraints = resolved.value("constraints", json::object());
    for (const auto& [kind, names] : constraints.items()) {
      if (kind == "at_least_one") {
        def.at_least_one = names.get<std::vector<std::string>>();
      } else if (kind == "just_one") {
        def.just_one = names.get<std::vector<std::string>>();
      } else {
        throw std::runtime_error("OCSF schema: " + owner + " has unknown constraint " + kind);
      }
    }
    return def;
  }

  Attribute compile_attribute(const json& merged, const std::string& where) const {
    Attribute attr;
    attr.type = merged.value("type", "");
    if (types_.count(attr.type) == 0 && objects_.count(attr.type) == 0) {
      throw std::runtime_error("OCSF schema: " + where + " has unknown type '" + attr.type + "'");
    }
    attr.is_array = merged.value("is_array", false);
    attr.required = merged.value("requirement", "") == "required";
    if (merged.contains("profile") && merged["profile"].is_string()) {
      attr.profile = merged["profile"].get<std::string>();
    }
    if (merged.contains("enum")) {
      attr.enum_keys.emplace();
      for (const auto& [key, value] : merged["enum"].items()) attr.enum_keys->insert(key);
    }
    return attr;
  }

  // The OCSF server adds an optional "<name>_dt" (datetime_t: RFC 3339 text) next to every
  // timestamp_t attribute, in the datetime profile, whose own file lists no attributes.
  static void add_datetime_siblings(Definition& def) {
    std::vector<std::pair<std::string, Attribute>> siblings;
    for (const auto& [name, attr] : def.attributes) {
      if (attr.type != "timestamp_t" || def.attributes.count(name + "_dt") > 0) continue;
      Attribute sibling;
      sibling.type = "datetime_t";
      sibling.is_array = attr.is_array;
      sibling.profile = "datetime";
      siblings.emplace_back(name + "_dt", sibling);
    }
    def.attributes.insert(siblings.begin(), siblings.end());
  }

  // observable.json defines only 0 and 99 for type_id; the OCSF server adds the "observable"
  // number of every data type, dictionary attribute, object and object attribute that has one
  // (2 for ip_t, 20 for endpoint, ...).
  void add_observable_type_ids(const std::map<std::string, json>& object_files) {
    auto& type_id = objects_.at("observable").attributes.at("type_id");
    if (!type_id.enum_keys) type_id.enum_keys.emplace();
    const auto add = [&](const json& item) {
      if (item.is_object() && item.contains("observable")) {
        type_id.enum_keys->insert(ocsf_detail::enum_key(item["observable"]));
      }
    };
    for (const auto& [name, type] : data_types_.items()) add(type);
    for (const auto& [name, attribute] : dictionary_.items()) add(attribute);
    for (const auto& [name, file] : object_files) {
      add(file);
      for (const auto& [attr_name, attribute] : file.at("attributes").items()) add(attribute);
    }
  }

  // ---- checking ----

  const EventClass* class_of(const json& event, std::vector<std::string>& errors) const {
    const auto uid = event.find("class_uid");
    if (uid == event.end() || uid->is_null()) {
      errors.push_back("class_uid: required attribute missing");
      return nullptr;
    }
    if (!uid->is_number_integer()) {
      errors.push_back("class_uid: expected integer");
      return nullptr;
    }
    const auto cls = classes_.find(uid->get<int64_t>());
    if (cls == classes_.end()) {
      errors.push_back("class_uid: " + uid->dump() + " is not an OCSF 1.2.0 class");
      return nullptr;
    }
    return &cls->second;
  }

  // The profiles the event applies (metadata.profiles); names the schema does not define are
  // errors. A wrongly typed list is reported where metadata's attributes are checked.
  std::set<std::string> applied_profiles(const json& event,
                                         std::vector<std::string>& errors) const {
    std::set<std::string> applied;
    const auto metadata = event.find("metadata");
    if (metadata == event.end() || !metadata->is_object()) return applied;
    const auto profiles = metadata->find("profiles");
    if (profiles == metadata->end() || !profiles->is_array()) return applied;
    for (size_t i = 0; i < profiles->size(); ++i) {
      const json& name = (*profiles)[i];
      if (!name.is_string()) continue;
      if (profile_names_.count(name.get<std::string>()) == 0) {
        errors.push_back("metadata.profiles[" + std::to_string(i) + "]: unknown profile " +
                         name.dump());
      }
      applied.insert(name.get<std::string>());
    }
    return applied;
  }

  // category_uid and type_uid follow from class_uid and activity_id. Missing or wrongly typed
  // values are reported by the attribute checks.
  static void check_classification(const EventClass& cls, const json& event,
                                   std::vector<std::string>& errors) {
    const int64_t class_uid = event.at("class_uid").get<int64_t>();
    const json& category = field(event, "category_uid");
    if (category.is_number_integer() && category.get<int64_t>() != cls.category_uid) {
      errors.push_back("category_uid: " + category.dump() + " does not match class " +
                       std::to_string(class_uid) + " (category " +
                       std::to_string(cls.category_uid) + ")");
    }
    const json& activity = field(event, "activity_id");
    const json& type_uid = field(event, "type_uid");
    if (activity.is_number_integer() && type_uid.is_number_integer()) {
      const int64_t expected = class_uid * 100 + activity.get<int64_t>();
      if (type_uid.get<int64_t>() != expected) {
        errors.push_back("type_uid: " + type_uid.dump() +
                         " is not class_uid * 100 + activity_id = " + std::to_string(expected));
      }
    }
  }

  // A member of a JSON object, null when absent.
  static const json& field(const json& object, const std::string& name) {
    static const json kNull;
    const auto it = object.find(name);
    return it == object.end() ? kNull : *it;
  }

  static bool in_force(const Attribute& attr, const Context& ctx) {
    return attr.profile.empty() || ctx.profiles.count(attr.profile) > 0;
  }

  // One event (path "") or object against its class or object definition.
  void check_definition(const Definition& def, const json& value, const std::string& path,
                        Context& ctx) const {
    for (const auto& [name, attr] : def.attributes) {
      if (attr.required && in_force(attr, ctx) && !ocsf_detail::present(value, name)) {
        ctx.errors.push_back(ocsf_detail::join_path(path, name) + ": required attribute missing");
      }
    }
    for (const auto& [name, member] : value.items()) {
      check_member(def, name, member, ocsf_detail::join_path(path, name), ctx);
    }
    check_constraints(def, value, path, ctx);
  }

  void check_member(const Definition& def, const std::string& name, const json& member,
                    const std::string& path, Context& ctx) const {
    const auto it = def.attributes.find(name);
    if (it == def.attributes.end()) {
      // An object without any attributes (the generic "object": unmapped, xattributes) is open.
      if (!def.attributes.empty()) ctx.errors.push_back(path + ": not defined for " + def.owner);
      return;
    }
    const Attribute& attr = it->second;
    if (!in_force(attr, ctx)) {
      ctx.errors.push_back(path + ": not defined for " + def.owner +
                           " unless metadata.profiles lists " + attr.profile);
      return;
    }
    if (member.is_null()) return;  // null is absence, as in the OCSF server
    if (!attr.is_array) {
      check_value(def, attr, member, path, ctx);
    } else if (!member.is_array()) {
      ctx.errors.push_back(path + ": expected array");
    } else {
      for (size_t i = 0; i < member.size(); ++i) {
        check_value(def, attr, member[i], path + "[" + std::to_string(i) + "]", ctx);
      }
    }
  }

  // One value (or array element) of an attribute: an object to recurse into, or a data value.
  void check_value(const Definition& def, const Attribute& attr, const json& value,
                   const std::string& path, Context& ctx) const {
    const auto object = objects_.find(attr.type);
    if (object != objects_.end()) {
      if (!value.is_object()) {
        ctx.errors.push_back(path + ": expected object");
      } else {
        check_definition(object->second, value, path, ctx);
      }
      return;
    }
    if (const auto problem = type_problem(attr.type, value)) {
      ctx.errors.push_back(path + ": " + *problem);
      return;  // an enum lookup of a wrongly typed value says nothing more
    }
    if (attr.enum_keys && attr.enum_keys->count(ocsf_detail::enum_key(value)) == 0) {
      ctx.errors.push_back(path + ": " + value.dump() + " is not defined for " + def.owner);
    }
  }

  // What is wrong with a value of data type `type_name`, if anything.
  std::optional<std::string> type_problem(const std::string& type_name, const json& value) const {
    using ocsf_detail::Primitive;
    const ocsf_detail::DataType& type = types_.at(type_name);
    switch (type.primitive) {
      case Primitive::kString:
        if (!value.is_string()) return "expected string";
        if (type.max_len && ocsf_detail::utf8_length(value.get<std::string>()) > *type.max_len) {
          return "longer than " + std::to_string(*type.max_len) + " characters (" + type_name + ")";
        }
        return std::nullopt;
      case Primitive::kInteger:
        if (!value.is_number_integer()) return "expected integer";
        // Compared as doubles: JSON integers may be signed or unsigned 64-bit.
        if (type.range && (value.get<double>() < static_cast<double>(type.range->first) ||
                           value.get<double>() > static_cast<double>(type.range->second))) {
          return value.dump() + " is outside " + type_name + " range " +
                 std::to_string(type.range->first) + ".." + std::to_string(type.range->second);
        }
        return std::nullopt;
      case Primitive::kNumber:
        return value.is_number() ? std::nullopt : std::optional<std::string>("expected number");
      case Primitive::kBoolean:
        return value.is_boolean() ? std::nullopt : std::optional<std::string>("expected boolean");
      case Primitive::kAny:
        return std::nullopt;
    }
    return std::nullopt;
  }

  static void check_constraints(const Definition& def, const json& value, const std::string& path,
                                Context& ctx) {
    const std::string where = path.empty() ? def.owner : path;
    size_t count = 0;
    for (const auto& name : def.at_least_one) count += ocsf_detail::present(value, name);
    if (!def.at_least_one.empty() && count == 0) {
      ctx.errors.push_back(where + ": none of " + ocsf_detail::join_names(def.at_least_one) +
                           " present");
    }
    count = 0;
    for (const auto& name : def.just_one) count += ocsf_detail::present(value, name);
    if (!def.just_one.empty() && count != 1) {
      ctx.errors.push_back(where + ": exactly one of " + ocsf_detail::join_names(def.just_one) +
                           " expected, found " + std::to_string(count));
    }
  }

  std::filesystem::path root_;
  json dictionary_;  // dictionary.json's "attributes"
  json data_types_;  // dictionary.json's "types"."attributes"
  std::map<std::string, ocsf_detail::DataType> types_;
  std::map<std::string, int64_t> category_uids_;
  std::set<std::string> profile_names_;
  std::map<std::string, Definition> objects_;  // by name, hidden bases (_entity) included
  std::map<int64_t, EventClass> classes_;      // by class_uid
};

}  // namespace auditrelay::test
