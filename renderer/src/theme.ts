/** Light or dark, following the operating system live (prefers-color-scheme). */
import { webDarkTheme, webLightTheme, type Theme } from '@fluentui/react-components';
import { useSyncExternalStore } from 'react';

const query = () => window.matchMedia('(prefers-color-scheme: dark)');

export function useOsTheme(): { dark: boolean; theme: Theme } {
  const dark = useSyncExternalStore(
    (notify) => {
      const mq = query();
      mq.addEventListener('change', notify);
      return () => mq.removeEventListener('change', notify);
    },
    () => query().matches,
  );
  return { dark, theme: dark ? webDarkTheme : webLightTheme };
}
