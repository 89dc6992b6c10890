// The objects of the app's Prisma migration 20250930170000_add_shared_resources:
// "createdBy" and "isShared" on "Rule", "Group", "Knowledge", "Category".
import { defineMigration } from '../lib/migration.ts';

export default defineMigration({
  prismaMigration: '20250930170000_add_shared_resources',
  up: [
    '210_add_rule_created_by_and_is_shared.sql',
    '211_add_group_created_by_and_is_shared.sql',
    '212_add_knowledge_created_by_and_is_shared.sql',
    '213_add_category_created_by_and_is_shared.sql',
    '220_index_rule_email_account_id_is_shared_idx.sql',
    '221_index_rule_created_by_idx.sql',
    '222_index_group_email_account_id_is_shared_idx.sql',
    '223_index_group_created_by_idx.sql',
    '224_index_knowledge_email_account_id_is_shared_idx.sql',
    '225_index_knowledge_created_by_idx.sql',
    '226_index_category_email_account_id_is_shared_idx.sql',
    '227_index_category_created_by_idx.sql',
    '230_add_rule_created_by_fkey.sql',
    '231_add_group_created_by_fkey.sql',
    '232_add_knowledge_created_by_fkey.sql',
    '233_add_category_created_by_fkey.sql',
    '240_validate_rule_created_by_fkey.sql',
    '241_validate_group_created_by_fkey.sql',
    '242_validate_knowledge_created_by_fkey.sql',
    '243_validate_category_created_by_fkey.sql',
  ],
  // Checked before a `down` that reaches this migration undoes anything (the new app's shared resources).
  downGuard: '001_refuse_while_new_app_shared_resources.sql',
  down: [
    '213_add_category_created_by_and_is_shared.sql',
    '212_add_knowledge_created_by_and_is_shared.sql',
    '211_add_group_created_by_and_is_shared.sql',
    '210_add_rule_created_by_and_is_shared.sql',
    // Last: the "_prisma_migrations" row the package recorded goes once the objects are gone.
    '200_prisma_history_add_shared_resources.sql',
  ],
});
