import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WEEKDAYS, type Weekday as WeekdayName } from '../services/business-hours';
import { DateTimeScalar } from './scalars';

/** Desk extension, "Never lose a visitor": availability and business hours (docs/contract/extensions/desk.graphql). */
export const Weekday = Object.fromEntries(WEEKDAYS.map((d) => [d, d])) as { [K in WeekdayName]: K };
registerEnumType(Weekday, { name: 'Weekday' });

@ObjectType()
export class OpeningInterval {
  @Field(() => Weekday)
  day!: WeekdayName;
  @Field(() => String, { description: 'Local time "HH:MM", 00:00 to 23:59.' })
  opens!: string;
  @Field(() => String, { description: 'Local time "HH:MM", after opens; "24:00" for midnight.' })
  closes!: string;
}

@ObjectType()
export class BusinessHours {
  @Field(() => String, { description: 'IANA time zone, e.g. "Europe/Paris".' })
  timeZone!: string;
  @Field(() => [OpeningInterval])
  weekly!: OpeningInterval[];
  @Field(() => [String], { description: 'Whole days closed, "YYYY-MM-DD" in timeZone.' })
  closedDates!: string[];
}

@ObjectType()
export class Availability {
  @Field(() => Boolean, { description: 'withinBusinessHours and at least one agent who could take the chat is ONLINE and online.' })
  open!: boolean;
  @Field(() => Boolean, { description: 'Always true when no business hours are set.' })
  withinBusinessHours!: boolean;
  @Field(() => Int, { description: 'ONLINE and online agents with the skill (any agent without one).' })
  agentsOnline!: number;
  @Field(() => Int, { description: 'Sessions QUEUED now in this skill line.' })
  queueLength!: number;
  @Field(() => Int, { nullable: true, description: 'Median seconds from start to assignment in this skill line over the last hour; null with fewer than 3 samples.' })
  expectedWaitSeconds!: number | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When business hours next begin; null while within them or when none are set.' })
  nextOpenAt!: Date | null;
}

@InputType()
export class OpeningIntervalInput {
  @Field(() => Weekday)
  day!: WeekdayName;
  @Field(() => String)
  opens!: string;
  @Field(() => String)
  closes!: string;
}

@InputType()
export class BusinessHoursInput {
  @Field(() => String)
  timeZone!: string;
  @Field(() => [OpeningIntervalInput])
  weekly!: OpeningIntervalInput[];
  @Field(() => [String], { nullable: true })
  closedDates?: string[] | null;
}
