// MQTT topic filter matching (MQTT 3.1.1 §4.7), for the embedded broker's receiver: which published topics are
// its. `+` matches one level, `#` the rest (including the parent), `$share/<group>/` is stripped, and topics
// starting with `$` are not matched by a leading wildcard.

/** A predicate that is true for topics any of the filters match. */
export function topicMatcher(filters: readonly string[]): (topic: string) => boolean {
  const compiled = filters.map((filter) => {
    const shared = /^\$share\/[^/]+\/(.*)$/.exec(filter);
    return (shared?.[1] ?? filter).split('/');
  });
  return (topic) => {
    const levels = topic.split('/');
    return compiled.some((filter) => matches(filter, levels));
  };
}

function matches(filter: readonly string[], topic: readonly string[]): boolean {
  if (topic[0]?.startsWith('$') === true && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}
