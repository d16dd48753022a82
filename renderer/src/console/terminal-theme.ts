/** The terminal's colours from the app's Fluent theme, with ANSI palettes readable on its light or dark background. */
import type { Theme } from '@fluentui/react-components';
import type { ITheme } from '@xterm/xterm';

const lightAnsi = {
  black: '#1f1f1f',
  red: '#c50f1f',
  green: '#107c10',
  yellow: '#8a6100',
  blue: '#0f6cbd',
  magenta: '#881798',
  cyan: '#00707a',
  white: '#616161',
  brightBlack: '#707070',
  brightRed: '#d13438',
  brightGreen: '#0e700e',
  brightYellow: '#835b00',
  brightBlue: '#115ea3',
  brightMagenta: '#9b1fa7',
  brightCyan: '#006b75',
  brightWhite: '#242424',
};

const darkAnsi = {
  black: '#3b3b3b',
  red: '#f1707b',
  green: '#6ccb5f',
  yellow: '#f9e2ae',
  blue: '#62abf5',
  magenta: '#d59dff',
  cyan: '#58d4d4',
  white: '#d6d6d6',
  brightBlack: '#8a8a8a',
  brightRed: '#ff99a4',
  brightGreen: '#9fd89f',
  brightYellow: '#fde300',
  brightBlue: '#96c6fa',
  brightMagenta: '#e5b8ff',
  brightCyan: '#93e0e0',
  brightWhite: '#ffffff',
};

export function terminalTheme(theme: Theme, dark: boolean): ITheme {
  return {
    background: theme.colorNeutralBackground1,
    foreground: theme.colorNeutralForeground1,
    cursor: theme.colorBrandForeground1,
    cursorAccent: theme.colorNeutralBackground1,
    selectionBackground: dark ? '#264f78' : '#add6ff',
    selectionForeground: undefined,
    ...(dark ? darkAnsi : lightAnsi),
  };
}

export const terminalFont = (theme: Theme) => theme.fontFamilyMonospace;
