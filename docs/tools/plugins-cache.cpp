/* Writes the plugin documentation cache (gst_plugins_cache.json, in the
 * layout GStreamer's own repositories commit) for the plugins found on
 * GST_PLUGIN_PATH whose names are given, by introspecting the loaded
 * elements: metadata, pad templates, properties with defaults and ranges,
 * signals and the enum types they use.
 *
 *   plugins-cache OUTPUT.json sse
 *
 * The test 'doc-cache' regenerates it and fails when docs/ is stale. */
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <map>
#include <string>

namespace {

std::string value_to_string(const GValue *v) {
  if (G_VALUE_HOLDS_STRING(v))
    return g_value_get_string(v) ? g_value_get_string(v) : "NULL";
  if (G_VALUE_HOLDS_ENUM(v)) {
    GEnumValue *ev = g_enum_get_value(G_ENUM_CLASS(g_type_class_peek(G_VALUE_TYPE(v))), g_value_get_enum(v));
    return ev ? ev->value_nick : "?";
  }
  if (G_VALUE_HOLDS_BOOLEAN(v))
    return g_value_get_boolean(v) ? "true" : "false";
  if (G_VALUE_HOLDS_OBJECT(v) || G_VALUE_HOLDS_BOXED(v))
    return "NULL";
  gchar *s = g_strdup_value_contents(v);
  std::string out = s;
  g_free(s);
  return out;
}

void add_range(JsonBuilder *b, GParamSpec *p) {
  auto put = [&](const char *k, const std::string &v) {
    json_builder_set_member_name(b, k);
    json_builder_add_string_value(b, v.c_str());
  };
  if (G_IS_PARAM_SPEC_INT(p)) {
    put("min", std::to_string(G_PARAM_SPEC_INT(p)->minimum));
    put("max", std::to_string(G_PARAM_SPEC_INT(p)->maximum));
  } else if (G_IS_PARAM_SPEC_UINT(p)) {
    put("min", std::to_string(G_PARAM_SPEC_UINT(p)->minimum));
    put("max", std::to_string(G_PARAM_SPEC_UINT(p)->maximum));
  } else if (G_IS_PARAM_SPEC_INT64(p)) {
    put("min", std::to_string(G_PARAM_SPEC_INT64(p)->minimum));
    put("max", std::to_string(G_PARAM_SPEC_INT64(p)->maximum));
  } else if (G_IS_PARAM_SPEC_UINT64(p)) {
    put("min", std::to_string(G_PARAM_SPEC_UINT64(p)->minimum));
    put("max", std::to_string(G_PARAM_SPEC_UINT64(p)->maximum));
  }
}

void add_element(JsonBuilder *b, GstElementFactory *f, std::map<std::string, GType> *enums) {
  GstElement *e = gst_element_factory_create(f, nullptr);
  json_builder_begin_object(b);
  const char *keys[][2] = {{"author", GST_ELEMENT_METADATA_AUTHOR},
                           {"description", GST_ELEMENT_METADATA_DESCRIPTION},
                           {"klass", GST_ELEMENT_METADATA_KLASS},
                           {"long-name", GST_ELEMENT_METADATA_LONGNAME}};
  for (auto &k : keys) {
    json_builder_set_member_name(b, k[0]);
    json_builder_add_string_value(b, gst_element_factory_get_metadata(f, k[1]));
  }
  json_builder_set_member_name(b, "hierarchy");
  json_builder_begin_array(b);
  for (GType t = G_OBJECT_TYPE(e); t; t = g_type_parent(t))
    json_builder_add_string_value(b, g_type_name(t));
  json_builder_end_array(b);

  json_builder_set_member_name(b, "pad-templates");
  json_builder_begin_object(b);
  for (const GList *l = gst_element_factory_get_static_pad_templates(f); l; l = l->next) {
    auto *t = static_cast<GstStaticPadTemplate *>(l->data);
    json_builder_set_member_name(b, t->name_template);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "caps");
    json_builder_add_string_value(b, t->static_caps.string);
    json_builder_set_member_name(b, "direction");
    json_builder_add_string_value(b, t->direction == GST_PAD_SINK ? "sink" : "src");
    json_builder_set_member_name(b, "presence");
    json_builder_add_string_value(b, t->presence == GST_PAD_ALWAYS ? "always" : "sometimes");
    json_builder_end_object(b);
  }
  json_builder_end_object(b);

  json_builder_set_member_name(b, "properties");
  json_builder_begin_object(b);
  guint n = 0;
  GParamSpec **props = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  for (guint i = 0; i < n; i++) {
    GParamSpec *p = props[i];
    if (p->owner_type != G_OBJECT_TYPE(e))
      continue; /* inherited ones are documented with their class */
    json_builder_set_member_name(b, p->name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "blurb");
    json_builder_add_string_value(b, g_param_spec_get_blurb(p));
    json_builder_set_member_name(b, "construct");
    json_builder_add_boolean_value(b, (p->flags & G_PARAM_CONSTRUCT) != 0);
    json_builder_set_member_name(b, "construct-only");
    json_builder_add_boolean_value(b, (p->flags & G_PARAM_CONSTRUCT_ONLY) != 0);
    json_builder_set_member_name(b, "controllable");
    json_builder_add_boolean_value(b, (p->flags & GST_PARAM_CONTROLLABLE) != 0);
    json_builder_set_member_name(b, "default");
    json_builder_add_string_value(b, value_to_string(g_param_spec_get_default_value(p)).c_str());
    add_range(b, p);
    json_builder_set_member_name(b, "mutable");
    json_builder_add_string_value(b, (p->flags & GST_PARAM_MUTABLE_READY) ? "ready" : "null");
    json_builder_set_member_name(b, "readable");
    json_builder_add_boolean_value(b, (p->flags & G_PARAM_READABLE) != 0);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, g_type_name(p->value_type));
    json_builder_set_member_name(b, "writable");
    json_builder_add_boolean_value(b, (p->flags & G_PARAM_WRITABLE) != 0);
    json_builder_end_object(b);
    if (G_TYPE_IS_ENUM(p->value_type))
      enums->emplace(g_type_name(p->value_type), p->value_type);
  }
  g_free(props);
  json_builder_end_object(b);

  json_builder_set_member_name(b, "rank");
  json_builder_add_string_value(b,
                                gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f)) == GST_RANK_NONE ? "none" : "other");
  json_builder_set_member_name(b, "signals");
  json_builder_begin_object(b);
  guint nsig = 0;
  guint *ids = g_signal_list_ids(G_OBJECT_TYPE(e), &nsig);
  for (guint i = 0; i < nsig; i++) {
    GSignalQuery q;
    g_signal_query(ids[i], &q);
    json_builder_set_member_name(b, q.signal_name);
    json_builder_begin_object(b);
    if (q.signal_flags & G_SIGNAL_ACTION) {
      json_builder_set_member_name(b, "action");
      json_builder_add_boolean_value(b, TRUE);
    }
    json_builder_set_member_name(b, "args");
    json_builder_begin_array(b);
    for (guint a = 0; a < q.n_params; a++) {
      const GType t = q.param_types[a] & ~G_SIGNAL_TYPE_STATIC_SCOPE;
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "name");
      json_builder_add_string_value(b, ("arg" + std::to_string(a)).c_str());
      json_builder_set_member_name(b, "type");
      json_builder_add_string_value(b, g_type_name(t));
      json_builder_end_object(b);
      if (G_TYPE_IS_ENUM(t))
        enums->emplace(g_type_name(t), t);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "return-type");
    json_builder_add_string_value(b, g_type_name(q.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE));
    json_builder_set_member_name(b, "when");
    json_builder_add_string_value(b, (q.signal_flags & G_SIGNAL_RUN_FIRST) ? "first" : "last");
    json_builder_end_object(b);
  }
  g_free(ids);
  json_builder_end_object(b);
  json_builder_end_object(b);
  gst_object_unref(e);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc < 3) {
    g_printerr("usage: %s OUTPUT.json PLUGIN...\n", argv[0]);
    return 2;
  }
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  for (int i = 2; i < argc; i++) {
    GstPlugin *plugin = gst_registry_find_plugin(gst_registry_get(), argv[i]);
    if (!plugin) {
      g_printerr("no plugin %s on GST_PLUGIN_PATH\n", argv[i]);
      return 1;
    }
    std::map<std::string, GType> enums; /* by name: a stable order */
    json_builder_set_member_name(b, argv[i]);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, gst_plugin_get_description(plugin));
    json_builder_set_member_name(b, "elements");
    json_builder_begin_object(b);
    GList *features = gst_registry_get_feature_list_by_plugin(gst_registry_get(), argv[i]);
    for (GList *l = features; l; l = l->next) {
      if (!GST_IS_ELEMENT_FACTORY(l->data))
        continue;
      json_builder_set_member_name(b, gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(l->data)));
      add_element(b, GST_ELEMENT_FACTORY(l->data), &enums);
    }
    gst_plugin_feature_list_free(features);
    json_builder_end_object(b);
    const char *keys[][2] = {
        {"filename", "gst"}, {"license", nullptr}, {"package", nullptr}, {"source", nullptr}, {"url", nullptr}};
    for (auto &k : keys) {
      json_builder_set_member_name(b, k[0]);
      const std::string name = std::string("gst") + argv[i];
      json_builder_add_string_value(b, std::string(k[0]) == "filename"  ? name.c_str()
                                       : std::string(k[0]) == "license" ? gst_plugin_get_license(plugin)
                                       : std::string(k[0]) == "package" ? gst_plugin_get_package(plugin)
                                       : std::string(k[0]) == "source"  ? gst_plugin_get_source(plugin)
                                                                        : gst_plugin_get_origin(plugin));
    }
    json_builder_set_member_name(b, "other-types");
    json_builder_begin_object(b);
    for (const auto &[name, t] : enums) {
      json_builder_set_member_name(b, name.c_str());
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "kind");
      json_builder_add_string_value(b, "enum");
      json_builder_set_member_name(b, "values");
      json_builder_begin_array(b);
      auto *klass = G_ENUM_CLASS(g_type_class_ref(t));
      for (guint v = 0; v < klass->n_values; v++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "desc");
        json_builder_add_string_value(b, klass->values[v].value_name);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, klass->values[v].value_nick);
        json_builder_set_member_name(b, "value");
        json_builder_add_string_value(b, std::to_string(klass->values[v].value).c_str());
        json_builder_end_object(b);
      }
      g_type_class_unref(klass);
      json_builder_end_array(b);
      json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "tracers");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    gst_object_unref(plugin);
  }
  json_builder_end_object(b);
  JsonGenerator *gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_indent(gen, 4);
  JsonNode *root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  GError *err = nullptr;
  const gboolean ok = json_generator_to_file(gen, argv[1], &err);
  if (!ok)
    g_printerr("%s\n", err->message);
  json_node_unref(root);
  g_object_unref(gen);
  g_object_unref(b);
  return ok ? 0 : 1;
}
