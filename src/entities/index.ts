import { Agent } from './agent';
import { ChatSession } from './chat-session';
import { Customer } from './customer';
import { Message } from './message';
import { SessionEvent } from './session-event';

export { Agent, ChatSession, Customer, Message, SessionEvent };
export * from './enums';
export const entities = [Agent, ChatSession, Customer, Message, SessionEvent];
