/** The last few things the user should know (recoveries, fallbacks, dropped records), newest last. */
class NoticesState {
  list = $state.raw<string[]>([]);

  add(message: string): void {
    this.list = [...this.list.slice(-4), message];
  }
}

export const notices = new NoticesState();
