// JSON Schema (draft-07 subset) validation for compose documents, with messages for users.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::compose {

struct SchemaIssue {
    std::string pointer;  // JSON pointer of the offending value, "/services/web/ports/0"
    std::string path;     // the same dotted for users: "services.web.ports.0"
    std::string message;  // "services.web.ports.0 must be a number, string or mapping"
    // An additionalProperties violation (the loader only warns for these): pointer/path name the
    // unknown key itself, the message its parent ("services.web additional property foo is not
    // allowed"). Not set for a bad name in a map of names (a service called "my app": the
    // parent has patternProperties for names but no fixed properties): that is an error.
    bool unknownKey = false;
};

// Keywords: type (string or array), enum, const, properties, patternProperties (ECMAScript
// regex, searched as JSON Schema says), additionalProperties (bool or schema), required,
// min/maxProperties, propertyNames, dependencies, items (schema or tuple), additionalItems,
// contains, min/maxItems, uniqueItems, minimum, maximum, exclusiveMinimum/Maximum, multipleOf,
// min/maxLength, pattern, allOf, anyOf, oneOf, not, if/then/else, $ref to "#..." pointers
// (definitions), boolean schemas. format is accepted for any value; title, description,
// default, deprecated, $schema, $id, $comment, examples are ignored.
class Schema {
  public:
    static Result<Schema> parse(std::string_view jsonText);

    // All issues in document order, unknown keys included; empty when valid. A failed oneOf/
    // anyOf gives the issues of the branch whose type matches the value, or one "must be a
    // string or list" when none does.
    std::vector<SchemaIssue> validate(const nlohmann::json& doc) const;

    struct Impl;

  private:
    explicit Schema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// The Compose Specification's schema (kComposeSchema) parsed once, thread-safe.
const Schema& composeSchema();

}  // namespace berth::compose
