// Response shapes of the strmline API, by the names the UI uses: aliases of the schemas in
// generated.ts (made from openapi.json by `npm run api:types`), so the UI follows the server.
import type { components } from './generated';

type Schemas = components['schemas'];

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type Job = Schemas['JobRead'];

export type Page<T> = { items: T[]; next_cursor: string | null };

export type User = Schemas['strmline__api__routers__users__UserRead'];

export type Account = Schemas['AccountRead'];

export type ProviderKind = 'm3u' | 'xtream';

export type Provider = Schemas['ProviderRead'];

export type ProviderTest = Schemas['ProviderTestResult'];

export type DashboardProvider = Schemas['DashboardProvider'];

export type Health = Schemas['DashboardHealth'];

export type Dashboard = Schemas['DashboardRead'];

export type ChannelSummary = Schemas['ChannelListItem'];

export type ChannelHealth = 'working' | 'partial' | 'failing' | 'not_checked' | 'no_streams';

export type ChannelStream = Schemas['StreamRead'];

export type ChannelDetail = Schemas['ChannelDetail'];

export type Category = Schemas['Category'];

export type MergeRule = Schemas['RuleRead'];

export type JobAccepted = Schemas['JobAccepted'];

export type EpgSource = Schemas['EpgSourceRead'];

export type Programme = Schemas['Programme'];

export type GuideChannel = Schemas['GuideChannel'];

export type GuidePage = Schemas['GuideRead'];

export type GuideSlot = Schemas['Slot'];

export type NowNext = Schemas['NowNextRead'];

export type GuideSuggestion = Schemas['GuideSuggestion'];

export type UnmatchedChannel = Schemas['UnmatchedChannel'];

export type VodTitle = Schemas['VodTitle'];

export type VodTitlePage = Schemas['VodTitlePage'];

export type VodEpisode = Schemas['VodEpisode'];

export type VodSeriesDetail = Schemas['VodSeriesDetail'];

export type LibraryJobStarted = Schemas['LibraryJobStarted'];

export type ChannelPage = Schemas['ChannelPage'];

export type LineupRule = Schemas['Rule'];

export type LineupSummary = Schemas['LineupRead'];

export type LineupMember = Schemas['MemberRead'];

export type LineupOutputs = Schemas['Outputs'];

export type LineupAssignment = Schemas['AssignmentRead'];

export type ProviderGroup = Schemas['GroupRead'];

export type ProviderGroups = Schemas['GroupsRead'];

export type ActiveSession = Schemas['ActiveSession'];

export type HistoryItem = Schemas['HistoryItem'];

export type HistoryStats = Schemas['HistoryStats'];

export type StreamProfile = Schemas['StreamProfileRead'];
