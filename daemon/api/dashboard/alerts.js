// The dashboard's alerts panel: pending and firing keys of every rule with a Silence button, the silences in
// force (with their expiry and a Remove button), and the latest notifications, sent or silenced. Reads
// /api/v1/alerts; makes and deletes silences with the session's token (asked for here when a change is refused).
/* global document, setTimeout, clearTimeout */

const DURATIONS = [
  ['30m', '30 minutes'],
  ['1h', '1 hour'],
  ['2h', '2 hours'],
  ['8h', '8 hours'],
  ['1d', '1 day'],
];

/**
 * ctx: { api(path, init?) → JSON (throws ctx.Unauthorized on 401), Unauthorized, el, fmt, hasToken(),
 * setToken(token), onUnauthorized() }.
 * Returns { refresh(), schedule() }.
 */
export function alertsPanel(ctx) {
  const { api, el, fmt } = ctx;
  const $ = (id) => document.getElementById(id);
  let timer;
  let busy = false;

  const until = (ms) => `${fmt.time(ms)} (in ${fmt.seconds(Math.max(0, (ms - Date.now()) / 1000))})`;
  const valuesText = (values) =>
    Object.entries(values ?? {})
      .slice(0, 4)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt.num(v, 2) : String(v)}`)
      .join(' · ');

  /** The inline form behind a Silence button: duration, comment, and the token when one is needed. */
  function silenceForm(rule, key) {
    const duration = el('select', { name: 'duration', 'aria-label': 'silence for' });
    for (const [value, label] of DURATIONS) {
      const option = el('option', { value }, label);
      if (value === '2h') option.selected = true;
      duration.append(option);
    }
    const comment = el('input', { name: 'comment', placeholder: 'why (optional)', maxlength: '500' });
    const tokenInput = el('input', {
      name: 'token',
      type: 'password',
      placeholder: 'API token',
      autocomplete: 'current-password',
    });
    const tokenRow = el('label', { class: 'token-row' }, 'This change needs the API token', tokenInput);
    tokenRow.hidden = true;
    const message = el('p', { class: 'error', role: 'alert' });
    const form = el(
      'form',
      { class: 'silence-form', 'data-testid': 'silence-form' },
      el('label', {}, 'Silence for ', duration),
      comment,
      tokenRow,
      el(
        'div',
        { class: 'buttons' },
        el('button', { type: 'submit', class: 'primary' }, 'Silence'),
        el('button', { type: 'button', class: 'cancel' }, 'Cancel'),
      ),
      message,
    );
    form.hidden = true;
    form.querySelector('.cancel').addEventListener('click', () => {
      form.hidden = true;
      void refresh();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!tokenRow.hidden) {
        if (tokenInput.value.trim() === '') return tokenInput.focus();
        ctx.setToken(tokenInput.value.trim());
      }
      message.textContent = '';
      const body = { duration: duration.value };
      if (key !== null) body.key = key;
      if (comment.value.trim() !== '') body.comment = comment.value.trim();
      api(`/api/v1/alerts/${encodeURIComponent(rule)}/silence`, { method: 'POST', body })
        .then(() => {
          form.hidden = true;
          void refresh();
        })
        .catch((err) => {
          if (err instanceof ctx.Unauthorized) {
            tokenRow.hidden = false;
            message.textContent = ctx.hasToken() ? 'The token was refused.' : '';
            tokenInput.focus();
          } else message.textContent = err.message;
        });
    });
    return form;
  }

  function card(rule, instance) {
    const silenced = instance.silencedUntilMs !== null;
    const form = silenceForm(rule.id, instance.key);
    const button = el('button', { type: 'button', class: 'silence-button' }, 'Silence');
    button.addEventListener('click', () => {
      button.hidden = true;
      form.hidden = false;
      form.querySelector('select').focus();
    });
    return el(
      'article',
      {
        class: `alert-card severity-${rule.severity} state-${instance.state}${silenced ? ' silenced' : ''}`,
        'data-alert': rule.id,
        'data-key': instance.key,
        'data-state': instance.state,
      },
      el(
        'div',
        { class: 'alert-head' },
        el('span', { class: `pill severity-${rule.severity}` }, rule.severity),
        el('strong', {}, rule.id),
        el('span', { class: 'key' }, instance.key),
        el('span', { class: `pill alert-${instance.state}` }, instance.state),
      ),
      el(
        'p',
        { class: 'alert-detail' },
        `${instance.state === 'firing' ? 'firing since' : 'pending since'} ${fmt.time(instance.sinceMs)}`,
        instance.values ? ` · ${valuesText(instance.values)}` : '',
      ),
      silenced
        ? el(
            'p',
            { class: 'silenced-note', 'data-testid': 'silenced' },
            `Silenced until ${until(instance.silencedUntilMs)}`,
            instance.suppressed > 0 ? ` · ${instance.suppressed} held back` : '',
          )
        : instance.state === 'firing'
          ? button
          : '',
      form,
    );
  }

  function silenceItem(s) {
    const remove = el('button', { type: 'button', class: 'remove' }, 'Remove');
    remove.addEventListener('click', () => {
      api(`/api/v1/silences/${encodeURIComponent(s.id)}`, { method: 'DELETE' })
        .then(() => refresh())
        .catch((err) => (err instanceof ctx.Unauthorized ? ctx.onUnauthorized() : refresh()));
    });
    return el(
      'li',
      { 'data-silence': s.id },
      el('strong', {}, s.alert),
      ` · ${s.key ?? 'all keys'} · until ${until(s.expiresMs)}`,
      s.suppressed > 0 ? ` · ${s.suppressed} held back` : '',
      s.comment ? el('span', { class: 'comment' }, ` · “${s.comment}”`) : '',
      ' ',
      remove,
    );
  }

  function historyItem(e) {
    return el(
      'li',
      { class: e.silenced ? 'silenced' : '' },
      el('time', {}, fmt.time(e.atMs)),
      ' ',
      el('strong', {}, e.alert),
      ` · ${e.key} · ${e.status}${e.reason === 'repeat' ? ' (repeat)' : ''}`,
      e.silenced ? el('span', { class: 'pill' }, 'silenced') : '',
    );
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const body = await api('/api/v1/alerts?history=10');
      // An open form keeps its cards: the user is typing in it.
      const editing = [...document.querySelectorAll('#alerts .silence-form')].some((f) => !f.hidden);
      if (!editing) {
        const cards = body.alerts.flatMap((rule) => rule.instances.map((i) => card(rule, i)));
        $('alerts').replaceChildren(
          cards.length === 0
            ? el('p', { class: 'empty' }, 'No alerts.')
            : el('div', { class: 'alert-list' }, ...cards),
        );
      }
      const firing = body.alerts.reduce((n, r) => n + r.firing, 0);
      $('alerts-count').textContent = firing > 0 ? String(firing) : '';
      $('silences').replaceChildren(
        body.silences.length === 0
          ? el('p', { class: 'empty' }, 'No silences.')
          : el('ul', { class: 'plain' }, ...body.silences.map(silenceItem)),
      );
      const history = body.alerts
        .flatMap((rule) => rule.history.map((e) => ({ ...e, alert: rule.id })))
        .sort((a, b) => b.atMs - a.atMs)
        .slice(0, 10);
      $('alert-history').replaceChildren(
        history.length === 0
          ? el('p', { class: 'empty' }, 'Nothing notified yet.')
          : el('ul', { class: 'plain' }, ...history.map(historyItem)),
      );
    } catch (err) {
      if (err instanceof ctx.Unauthorized) ctx.onUnauthorized();
      // Otherwise kept as it was; the next poll or event tries again.
    } finally {
      busy = false;
    }
  }

  /** After an alert or silence event: one refresh for a burst of them. */
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 300);
  }

  return { refresh, schedule };
}
