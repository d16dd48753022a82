/** The Console page: tabs of terminals running the Lifeboat command language, with search in the scrollback. */
import {
  Button,
  SearchBox,
  Tab,
  TabList,
  Text,
  Title3,
  Toolbar,
  Tooltip,
  makeStyles,
  tokens,
  useUncontrolledFocus,
} from '@fluentui/react-components';
import { AddRegular, ArrowDownRegular, ArrowUpRegular, DismissRegular } from '@fluentui/react-icons';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useOsTheme } from '../theme';
import { consoleTabs } from './tabs';
import { terminalFont, terminalTheme } from './terminal-theme';

const useStyles = makeStyles({
  page: {
    height: '100%',
    display: 'flex',
    flexDirection: 'column',
    boxSizing: 'border-box',
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL} ${tokens.spacingVerticalL}`,
  },
  bar: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalS,
    flexWrap: 'wrap',
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  title: { marginRight: tokens.spacingHorizontalL },
  tabs: { flex: 1, minWidth: 0, overflowX: 'auto' },
  terminal: {
    flex: 1,
    minHeight: 0,
    padding: tokens.spacingHorizontalS,
    backgroundColor: tokens.colorNeutralBackground1,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    borderTop: 'none',
    ':focus-within': { outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}`, outlineOffset: '-2px' },
  },
  hint: { color: tokens.colorNeutralForeground3, padding: `${tokens.spacingVerticalXS} 0` },
});

export function ConsolePage({ visible }: { visible: boolean }) {
  const styles = useStyles();
  const { theme, dark } = useOsTheme();
  const tabs = useSyncExternalStore(consoleTabs.subscribe, consoleTabs.list);
  const [selected, setSelected] = useState<number | null>(null);
  const [query, setQuery] = useState('');
  const container = useRef<HTMLDivElement>(null);
  // Tab belongs to the terminal (completion), not to Fluent's focus manager (Tabster), which would otherwise move
  // focus on Tab before xterm sees it. Shift+Tab still leaves the terminal (see session.ts).
  const tabster = {
    ...useUncontrolledFocus(),
    'data-tabster': JSON.stringify({ uncontrolled: {}, focusable: { ignoreKeydown: { Tab: true } } }),
  };

  useEffect(() => {
    consoleTabs.ensure(terminalTheme(theme, dark), terminalFont(theme));
  }, [theme, dark]);

  const current = tabs.find((t) => t.id === selected) ?? tabs[0];

  // Show the selected tab's terminal; the others keep running, detached from the page.
  useEffect(() => {
    const box = container.current;
    if (!box || !current || !visible) return;
    for (const child of [...box.children])
      if (!child.contains(current.session.terminal.element ?? null)) child.remove();
    current.session.attach(box);
    current.session.fitNow();
    current.session.focus();
    const observer = new ResizeObserver(() => current.session.fitNow());
    observer.observe(box);
    return () => observer.disconnect();
  }, [current, visible]);

  const add = () => setSelected(consoleTabs.add().id);
  const close = () => {
    if (!current) return;
    const index = tabs.indexOf(current);
    consoleTabs.close(current.id);
    const rest = consoleTabs.list();
    setSelected(rest[Math.max(0, index - 1)]?.id ?? null);
  };
  const find = (backwards: boolean) => {
    if (!current || !query) return;
    if (backwards) current.session.search.findPrevious(query);
    else current.session.search.findNext(query);
  };

  return (
    <div className={styles.page}>
      <div className={styles.bar}>
        <Title3 as="h1" className={styles.title}>
          Console
        </Title3>
        <TabList
          className={styles.tabs}
          size="small"
          selectedValue={current?.id ?? null}
          onTabSelect={(_, d) => setSelected(d.value as number)}
          aria-label="Console tabs"
        >
          {tabs.map((t) => (
            <Tab key={t.id} value={t.id}>
              {t.title}
            </Tab>
          ))}
        </TabList>
        <Toolbar aria-label="Console" size="small">
          <Tooltip content="New console tab" relationship="label">
            <Button appearance="subtle" icon={<AddRegular />} onClick={add} />
          </Tooltip>
          <Tooltip content="Close this console tab" relationship="label">
            <Button appearance="subtle" icon={<DismissRegular />} onClick={close} disabled={!current} />
          </Tooltip>
          <SearchBox
            size="small"
            placeholder="Search output"
            aria-label="Search the console output"
            value={query}
            onChange={(_, d) => setQuery(d.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') find(e.shiftKey);
            }}
          />
          <Tooltip content="Previous match" relationship="label">
            <Button appearance="subtle" icon={<ArrowUpRegular />} onClick={() => find(true)} disabled={!query} />
          </Tooltip>
          <Tooltip content="Next match" relationship="label">
            <Button appearance="subtle" icon={<ArrowDownRegular />} onClick={() => find(false)} disabled={!query} />
          </Tooltip>
        </Toolbar>
      </div>
      <div
        ref={container}
        {...tabster}
        className={styles.terminal}
        role="region"
        aria-label={current ? `${current.title} terminal` : 'Terminal'}
      />
      <Text size={200} className={styles.hint}>
        Tab completes · Shift+Tab leaves the terminal · Up/Down history · Ctrl+R searches history · Ctrl+C stops ·
        Ctrl+L clears · Ctrl+Shift+C / Ctrl+V copy and paste
      </Text>
      {tabs.length === 0 && <Button onClick={add}>Open a console</Button>}
    </div>
  );
}
